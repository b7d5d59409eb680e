/**
 * Deep pages of the audit log against a real PostgreSQL: walked, read from the far end, or started
 * at a page boundary (`PageBoundaries` in @berth/db), every page of the system's and a project's
 * list is exactly the rows their order puts there — before and after rows are written and purged.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { createPrismaClient, type PrismaClient } from "@berth/db";
import { createTestDatabase, type TestDatabase } from "@berth/db/testing";
import { metricValue } from "@berth/metrics";
import { AuditStore } from "./audit-store.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];
const N = 4500;

function seeked(): Promise<number> {
  return metricValue("berth_list_deep_pages_total", { read: "seeked" });
}

describe("deep pages of the audit log", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let database: TestDatabase;
  let db: PrismaClient;
  let audit: AuditStore;
  let project: number;
  before(async () => {
    database = await createTestDatabase(adminUrl!);
    db = createPrismaClient(database.url, { poolSize: 4 });
    audit = new AuditStore(db);
    const owner = await db.user.create({ data: { username: "owner", passwordHash: "!", realname: "", comment: "" } });
    project = (await db.project.create({ data: { name: "logged", ownerId: owner.id } })).id;
    // Rows of the project and of the system interleaved; op_time shared by groups of 5, so the id breaks ties.
    await db.$executeRawUnsafe(`
      INSERT INTO audit_logs (operator, operator_type, resource, resource_type, operation, project_id, op_time, source)
        SELECT 'admin', 'user', 'r' || g, 'artifact', 'create', CASE WHEN g % 3 = 0 THEN NULL ELSE ${project} END, now() - (g / 5) * interval '1 s', 'api'
        FROM generate_series(1, ${N}) g`);
    await db.$executeRawUnsafe(`
      INSERT INTO audit_log_counts (project_id, delta) SELECT project_id, count(*) FROM audit_logs GROUP BY project_id`);
  });
  after(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  /** Every deep page, newest first and oldest first, read three times (walked until the boundaries are built, then seeked). */
  async function checkPages(projectId: number | undefined, skips: number[]) {
    for (const direction of ["desc", "asc"] as const) {
      const expected = (
        await db.auditLog.findMany({ where: projectId === undefined ? {} : { projectId }, orderBy: [{ opTime: direction }, { id: direction }], select: { id: true } })
      ).map((r) => Number(r.id));
      for (const skip of skips) {
        for (let read = 0; read < 3; read++) {
          const page = await audit.list(projectId === undefined ? {} : { projectId }, { page: skip / 50 + 1, pageSize: 50, skip, take: 50 }, [{ field: "opTime", direction }]);
          assert.equal(page.total, expected.length);
          assert.deepEqual(page.items.map((r) => r.id), expected.slice(skip, skip + 50), `project ${projectId}, ${direction}, skip ${skip}, read ${read}`);
        }
      }
    }
  }

  /** The builds run beside the reads: reads a deep page of each list and direction until it starts at a boundary. */
  async function untilBuilt(projectId: number | undefined, skip: number) {
    for (const direction of ["desc", "asc"] as const) {
      for (let tries = 0; ; tries++) {
        const before = await seeked();
        await audit.list(projectId === undefined ? {} : { projectId }, { page: skip / 50 + 1, pageSize: 50, skip, take: 50 }, [{ field: "opTime", direction }]);
        if ((await seeked()) > before) break;
        assert.ok(tries < 500, `the boundaries of ${projectId ?? "the system"}'s list (${direction}) were not built`);
        await sleep(10);
      }
    }
  }

  test("every deep page is the rows the order puts there, and later reads start at a boundary", async () => {
    // Walked until a state's walks reach the list's size; then its build starts beside the reads.
    await checkPages(undefined, [1000, 1490, 2200, 3000, 4450]);
    await checkPages(project, [1000, 1500, 1950]);
    await untilBuilt(undefined, 2200);
    await untilBuilt(project, 1500);
    const before = await seeked();
    await checkPages(undefined, [1000, 1490, 2200, 3000, 4450]);
    await checkPages(project, [1000, 1500, 1950]);
    // From the boundaries now: every read at least 1,000 rows from both ends, three times per direction.
    assert.ok((await seeked()) - before >= 2 * 3 * (3 + 2), "deep pages started at boundaries");
  });

  test("after rows are written and purged, pages are exact at once", async () => {
    await audit.record({ operator: "admin", operatorType: "user", resource: "new", resourceType: "artifact", operation: "delete", projectId: project });
    await audit.record({ operator: "admin", operatorType: "user", resource: "system", resourceType: "user", operation: "create" });
    await checkPages(undefined, [1200, 2000]);
    await checkPages(project, [1100]);
    // A purge of the oldest rows: the project's newest-first pages are the same rows, shifted.
    await audit.purgeOlderThan(0, new Date(Date.now() - 500_000));
    await checkPages(undefined, [1000, 1300]);
    await checkPages(project, [1000, 1200]);
  });
});
