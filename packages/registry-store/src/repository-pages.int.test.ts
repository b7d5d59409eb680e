/**
 * Deep pages of a project's repositories against a real PostgreSQL: walked, read from the far
 * end, or started at a page boundary (`PageBoundaries` in @berth/db), every page of every order is
 * exactly the rows the order puts there — before and after repositories are created and deleted.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { metricValue } from "@berth/metrics";
import type { ListOrder, RepositoryOrderField } from "./artifact-store.js";
import { createGcFixture, type GcFixture } from "./gc/gc-support.test-helpers.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];
const P = "paged";
const N = 3000;

interface Row {
  id: number;
  name: string;
  created_at: Date;
  updated_at: Date;
}

const ORDERS: ListOrder<RepositoryOrderField>[] = (["name", "createdAt", "updatedAt"] as const).flatMap((field) => [
  [{ field, direction: "asc" as const }],
  [{ field, direction: "desc" as const }],
]);

/** The list in `order`, as the API defines it: the keys, then the id in the first key's direction. */
function sorted(rows: Row[], order: ListOrder<RepositoryOrderField>): string[] {
  const key = (r: Row, field: RepositoryOrderField) => (field === "name" ? r.name : field === "createdAt" ? r.created_at.getTime() : r.updated_at.getTime());
  const sign = order[0]!.direction === "desc" ? -1 : 1;
  return [...rows]
    .sort((a, b) => {
      for (const o of order) {
        const [x, y] = [key(a, o.field), key(b, o.field)];
        if (x !== y) return (x < y ? -1 : 1) * (o.direction === "desc" ? -1 : 1);
      }
      return (a.id - b.id) * sign;
    })
    .map((r) => r.name);
}

function seeked(): Promise<number> {
  return metricValue("berth_list_deep_pages_total", { read: "seeked" });
}

describe("deep pages of a project's repositories", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let f: GcFixture;
  before(async () => {
    f = await createGcFixture(adminUrl!, 4);
    // Names out of creation order; update times shared by groups of 7, so the id breaks ties.
    await f.prisma.$executeRawUnsafe(`
      INSERT INTO repositories (name, created_at, updated_at)
        SELECT '${P}/r' || ((g * 7919) % ${N}), now() - g * interval '1 s', now() - (g / 7) * interval '1 min' FROM generate_series(0, ${N - 1}) g`);
    await f.prisma.$executeRawUnsafe(`INSERT INTO project_repository_counts (project, delta) VALUES ('${P}', ${N})`);
  });
  after(async () => f?.close());

  const rows = () => f.prisma.$queryRawUnsafe<Row[]>(`SELECT id, name, created_at, updated_at FROM repositories WHERE name LIKE '${P}/%'`);

  /** Reads each deep page three times (walked until the boundaries are built, then started at a boundary) and checks each. */
  async function checkPages(skips: number[]) {
    const all = await rows();
    for (const order of ORDERS) {
      const expected = sorted(all, order);
      for (const skip of skips) {
        for (let read = 0; read < 3; read++) {
          const page = await f.store.artifacts.listRepositories(P, { order, skip, take: 100 });
          assert.equal(page.total, all.length);
          assert.deepEqual(page.items.map((r) => r.name), expected.slice(skip, skip + 100), `${JSON.stringify(order)}, skip ${skip}, read ${read}`);
        }
      }
    }
  }

  /** The builds run beside the reads: reads a deep page of each order until it starts at a boundary. */
  async function untilBuilt(skip: number) {
    for (const order of ORDERS) {
      for (let tries = 0; ; tries++) {
        const before = await seeked();
        await f.store.artifacts.listRepositories(P, { order, skip, take: 100 });
        if ((await seeked()) > before) break;
        assert.ok(tries < 500, `the boundaries of ${JSON.stringify(order)} were not built`);
        await sleep(10);
      }
    }
  }

  test("every deep page of every order is the rows the order puts there, and later reads start at a boundary", async () => {
    const skips = [1000, 1234, 1499, 1501, 1999, 2950, 2999];
    await checkPages(skips); // walked until a state's walks reach the list's size; then its build starts
    await untilBuilt(1499);
    const before = await seeked();
    await checkPages(skips);
    // From the boundaries now: the 12 deep reads per order (the other 9 are near an end).
    assert.ok((await seeked()) - before >= ORDERS.length * 12, "deep pages started at boundaries");
  });

  test("after repositories are created and deleted, pages are exact at once", async () => {
    await f.store.uploads.start(`${P}/r1500-new`); // sorts in the middle by name; newest by time
    await f.store.artifacts.deleteRepository(`${P}/r2`);
    await checkPages([1000, 1500, 2400]);
    // A create and a delete leave the total as it was: the list's state still changes.
    await f.store.uploads.start(`${P}/r0000`);
    await f.store.artifacts.deleteRepository(`${P}/r1500-new`);
    await checkPages([1200, 2100]);
  });
});
