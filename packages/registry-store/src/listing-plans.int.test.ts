/**
 * The registry's listings read their index in its order: a page costs its rows, not a sort of
 * every name after `last` (what `_catalog` did at 100,000 repositories: docs/performance.md).
 * EXPLAIN with sequential scans off, so that the plan shows whether the index's order serves the
 * ORDER BY whatever the table's size.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createSqlClient, sql, type Sql, type SqlClient } from "@berth/db/sql";
import { createTestDatabase, type TestDatabase } from "@berth/db/testing";
import { catalogPageSql, tagsPageSql } from "./listing-store.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];

describe("listing plans", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let db: TestDatabase;
  let client: SqlClient;
  before(async () => {
    db = await createTestDatabase(adminUrl!);
    client = createSqlClient(db.url, { poolSize: 1 });
  });
  after(async () => {
    await client?.$disconnect();
    await db?.drop();
  });

  const plan = (query: Sql) =>
    client.$transaction(async (tx) => {
      await tx.$executeRaw`SET LOCAL enable_seqscan = off`;
      const rows = await tx.$queryRaw<Record<string, string>[]>(sql`EXPLAIN ${query}`);
      return rows.map((r) => Object.values(r)[0]).join("\n");
    });

  test("_catalog pages read repositories_name_c_idx in order, first and deep", async () => {
    for (const last of ["", "library/m"]) {
      const p = await plan(catalogPageSql(last, 101));
      assert.match(p, /repositories_name_c_idx/, p);
      assert.doesNotMatch(p, /Sort/, p);
    }
  });

  test("tags/list pages read tags_repository_name_c_idx in order, first and deep", async () => {
    for (const last of ["", "v1.2"]) {
      const p = await plan(tagsPageSql(1, last, 101));
      assert.match(p, /tags_repository_name_c_idx/, p);
      assert.doesNotMatch(p, /Sort/, p);
    }
  });
});
