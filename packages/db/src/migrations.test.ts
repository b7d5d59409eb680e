import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { listMigrations, migrationsChecksum, migrationsDir } from "./migrations.js";
import { withDatabase } from "./testing.js";

describe("migrations folder", () => {
  const scratch = mkdtempSync(path.join(tmpdir(), "berth-db-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  const write = (name: string, sql: string) => {
    mkdirSync(path.join(scratch, name), { recursive: true });
    writeFileSync(path.join(scratch, name, "migration.sql"), sql);
  };

  it("ships the foundation migration creating users and outbox_events", () => {
    const migrations = listMigrations(migrationsDir);
    const first = migrations[0];
    assert.ok(first, "no migrations found");
    assert.match(first.name, /^\d{14}_foundation$/);
    assert.match(first.sql, /CREATE TABLE "users"/);
    assert.match(first.sql, /CREATE TABLE "outbox_events"/);
  });

  it("lists migration folders in name order and ignores other entries", () => {
    write("20260102000000_b", "SELECT 2;");
    write("20260101000000_a", "SELECT 1;");
    mkdirSync(path.join(scratch, "not_a_migration"));
    writeFileSync(path.join(scratch, "migration_lock.toml"), 'provider = "postgresql"\n');
    assert.deepEqual(
      listMigrations(scratch).map((m) => m.name),
      ["20260101000000_a", "20260102000000_b"],
    );
  });

  it("changes the checksum when a migration is edited or added", () => {
    const before = migrationsChecksum(scratch);
    assert.equal(migrationsChecksum(scratch), before, "checksum is not stable");
    write("20260101000000_a", "SELECT 10;");
    const edited = migrationsChecksum(scratch);
    assert.notEqual(edited, before);
    write("20260103000000_c", "SELECT 3;");
    assert.notEqual(migrationsChecksum(scratch), edited);
  });

  it("has an empty checksum input for a missing folder", () => {
    assert.deepEqual(listMigrations(path.join(scratch, "missing")), []);
  });
});

describe("withDatabase", () => {
  it("replaces only the database name", () => {
    assert.equal(
      withDatabase("postgresql://berth:s%40cret@127.0.0.1:55432/postgres?sslmode=disable", "berth_test_1"),
      "postgresql://berth:s%40cret@127.0.0.1:55432/berth_test_1?sslmode=disable",
    );
    assert.equal(withDatabase("postgresql://berth@db", "x"), "postgresql://berth@db/x");
  });
});
