import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { Prisma, type PrismaClient } from "./index.js";
import { modulesLoadedBy, PRISMA_CLIENT_MODULE } from "./testing.js";
import { isRecordNotFound, isSqlFragment, isUniqueViolation, join, Sql, sql, type SqlDatabase, type SqlExecutor } from "./sql.js";

// Compile-time: Prisma's client and its interactive transactions are SQL databases as they are,
// with no cast (core and jobservice hand theirs to registry-store).
const prismaIsSqlDatabase = (db: PrismaClient): SqlDatabase => db;
const transactionIsSqlExecutor = (tx: Prisma.TransactionClient): SqlExecutor => tx;
void prismaIsSqlDatabase;
void transactionIsSqlExecutor;

describe("@berth/db/sql", () => {
  it("loads neither the generated Prisma client nor Prisma's runtime", () => {
    const loaded = modulesLoadedBy(path.join(import.meta.dirname, "sql.js"));
    assert.ok(loaded.some((url) => url.includes("@prisma/client-runtime-utils")), "sanity: the hook sees the entry's imports");
    assert.deepEqual(loaded.filter((url) => PRISMA_CLIENT_MODULE.test(url)), []);
  });

  it("@berth/db itself does load the Prisma client (so the check above can fail)", () => {
    const loaded = modulesLoadedBy(path.join(import.meta.dirname, "index.js"));
    assert.ok(loaded.some((url) => PRISMA_CLIENT_MODULE.test(url)));
  });

  it("makes fragments of the very class Prisma's client splices (not a look-alike it would send as a parameter)", () => {
    assert.ok(sql`a` instanceof Prisma.Sql);
    assert.ok(Prisma.sql`a` instanceof Sql);
    const nested = Prisma.sql`WHERE ${sql`x = ${1}`}`;
    assert.equal(nested.text, "WHERE x = $1");
  });

  it("builds parameterised fragments and tells them from a template's strings", () => {
    const ids = [1, 2];
    const q = sql`SELECT * FROM t WHERE id IN (${join(ids)}) AND name = ${"x"}`;
    assert.equal(q.text, "SELECT * FROM t WHERE id IN ($1,$2) AND name = $3");
    assert.deepEqual(q.values, [1, 2, "x"]);
    assert.equal(isSqlFragment(q), true);
    const strings = ((s: TemplateStringsArray) => s)`SELECT 1`;
    assert.equal(isSqlFragment(strings), false);
  });

  it("recognises unique violations and missing records from Prisma and from pg", () => {
    assert.equal(isUniqueViolation({ code: "P2002" }), true);
    assert.equal(isUniqueViolation({ code: "23505" }), true);
    const rawQueryFailed = (sqlState: string) => ({ code: "P2010", meta: { driverAdapterError: { cause: { originalCode: sqlState } } } });
    assert.equal(isUniqueViolation(rawQueryFailed("23505")), true);
    assert.equal(isUniqueViolation(rawQueryFailed("42601")), false);
    assert.equal(isUniqueViolation({ code: "23503" }), false);
    assert.equal(isUniqueViolation(new Error("x")), false);
    assert.equal(isUniqueViolation(undefined), false);
    assert.equal(isRecordNotFound({ code: "P2025" }), true);
    assert.equal(isRecordNotFound({ code: "P2002" }), false);
  });
});
