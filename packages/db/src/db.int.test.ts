/**
 * Integration tests against a real PostgreSQL: set BERTH_TEST_PG_URL to an admin URL such as
 * `postgresql://berth@127.0.0.1:55432/postgres`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { createPrismaClient, MigrationError, migrateDatabase, listMigrations } from "./index.js";
import { createSqlClient, isUniqueViolation, join, sql, type SqlDatabase } from "./sql.js";
import { createTestDatabase, type TestDatabase } from "./testing.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("@berth/db against PostgreSQL", () => {
  if (!adminUrl) {
    it("needs BERTH_TEST_PG_URL", (t) => {
      t.skip("BERTH_TEST_PG_URL is not set (an admin URL, e.g. postgresql://berth@127.0.0.1:55432/postgres)");
    });
    return;
  }

  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase(adminUrl);
  });
  after(async () => {
    await db?.drop();
  });

  it("creates a database with every migration applied", async () => {
    const tables = await query<{ table_name: string }>(
      db.url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    const names = tables.map((t) => t.table_name);
    assert.ok(names.includes("users"), `tables: ${names.join(", ")}`);
    assert.ok(names.includes("outbox_events"), `tables: ${names.join(", ")}`);
    const applied = await query<{ migration_name: string }>(
      db.url,
      "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name",
    );
    assert.deepEqual(applied.map((r) => r.migration_name), listMigrations().map((m) => m.name));
  });

  it("round-trips users and outbox events through createPrismaClient", async () => {
    const prisma = createPrismaClient(db.url, { poolSize: 2, applicationName: "berth-db-test" });
    try {
      const [user, event] = await prisma.$transaction([
        prisma.user.create({ data: { username: "alice", email: "alice@example.com", passwordHash: "x" } }),
        prisma.outboxEvent.create({ data: { type: "user.created", payload: { username: "alice", tags: ["a"] } } }),
      ]);
      assert.equal(typeof user.id, "number");
      assert.equal(user.sysadmin, false);
      assert.equal(user.realname, "");
      assert.equal(typeof event.id, "bigint");
      assert.match(event.eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

      const found = await prisma.user.findUniqueOrThrow({ where: { username: "alice" } });
      assert.equal(found.email, "alice@example.com");
      assert.ok(found.createdAt instanceof Date);

      const pending = await prisma.outboxEvent.findMany({ where: { publishedAt: null }, orderBy: { id: "asc" } });
      assert.equal(pending.length, 1);
      assert.deepEqual(pending[0]?.payload, { username: "alice", tags: ["a"] });

      await assert.rejects(
        prisma.user.create({ data: { username: "alice", passwordHash: "y" } }),
        (err: { code?: string }) => err.code === "P2002",
      );
    } finally {
      await prisma.$disconnect();
    }
  });

  it("runs the same SQL fragments and transactions through Prisma's client and the lean client", async () => {
    const prisma = createPrismaClient(db.url, { poolSize: 2 });
    const lean = createSqlClient(db.url, { poolSize: 2 });
    const exercise = async (database: SqlDatabase, name: string) => {
      const names = [`${name}-a`, `${name}-b`];
      await database.$transaction(async (tx) => {
        for (const n of names) await tx.$executeRaw`INSERT INTO users (username, password_hash, updated_at) VALUES (${n}, 'x', now())`;
      });
      const rows = await database.$queryRaw<{ username: string; id: number }[]>(sql`SELECT id, username FROM users WHERE username IN (${join(names)}) ORDER BY username`);
      assert.deepEqual(rows.map((r) => r.username), names);
      // A fragment nested in a tagged template is spliced, not sent as a parameter.
      const filter = sql`username = ${names[1]}`;
      const nested = await database.$queryRaw<{ username: string }[]>`SELECT username FROM users WHERE ${filter} AND id > ${0}`;
      assert.deepEqual(nested.map((r) => r.username), [names[1]]);
      // A failed transaction leaves nothing behind, and the duplicate is recognised as such.
      await assert.rejects(
        database.$transaction(async (tx) => {
          await tx.$executeRaw`INSERT INTO users (username, password_hash, updated_at) VALUES (${`${name}-c`}, 'x', now())`;
          await tx.$executeRaw`INSERT INTO users (username, password_hash, updated_at) VALUES (${names[0]}, 'x', now())`;
        }),
        (err: unknown) => isUniqueViolation(err),
      );
      const left = await database.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM users WHERE username = ${`${name}-c`}`;
      assert.equal(left[0]?.n, 0n);
    };
    try {
      await exercise(prisma, "prisma");
      await exercise(lean, "lean");
    } finally {
      await prisma.$disconnect();
      await lean.$disconnect();
    }
  });

  it("migrateDatabase is idempotent on an up-to-date database", async () => {
    const lines: string[] = [];
    await migrateDatabase(db.url, (line) => lines.push(line));
    await migrateDatabase(db.url);
    assert.ok(lines.some((l) => /No pending migrations/.test(l)), lines.join("\n"));
    const rows = await query<{ count: string }>(db.url, "SELECT count(*) FROM _prisma_migrations");
    assert.equal(Number(rows[0]?.count), listMigrations().length);
  });

  it("migrateDatabase creates and migrates a missing database", async () => {
    const url = new URL(db.url);
    url.pathname = `${url.pathname}_fresh`;
    const name = url.pathname.slice(1);
    try {
      await migrateDatabase(url.toString());
      const rows = await query<{ count: string }>(url.toString(), "SELECT count(*) FROM users");
      assert.equal(Number(rows[0]?.count), 0);
    } finally {
      await query(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });

  it("migrateDatabase fails with the CLI's output when the server is unreachable", async () => {
    await assert.rejects(migrateDatabase("postgresql://berth@127.0.0.1:1/nowhere"), (err: unknown) => {
      assert.ok(err instanceof MigrationError);
      assert.match(err.output, /P1001/);
      return true;
    });
  });

  it("makes independent databases for concurrent callers", async () => {
    const dbs = await Promise.all([createTestDatabase(adminUrl), createTestDatabase(adminUrl)]);
    try {
      assert.notEqual(dbs[0].url, dbs[1].url);
      for (const d of dbs) {
        const rows = await query<{ count: string }>(d.url, "SELECT count(*) FROM users");
        assert.equal(Number(rows[0]?.count), 0);
      }
    } finally {
      await Promise.all(dbs.map((d) => d.drop()));
    }
  });
});
