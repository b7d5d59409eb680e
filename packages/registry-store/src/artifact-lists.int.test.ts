/**
 * Artifact and repository lists (artifact-store.ts) against a real PostgreSQL: for every sort
 * Harbor offers, both directions, walking the list page by page (as deep `page=` offsets do)
 * gives every row exactly once, in the documented order — ties broken by the id in the first
 * key's direction, ascending NULLS FIRST, descending NULLS LAST (the reverse of ascending, so one
 * index serves both) — and a project's repositories are exactly those named `<project>/…`.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ArtifactOrderField, ListOrder, RepositoryOrderField } from "./artifact-store.js";
import { createGcFixture, type GcFixture } from "./gc/gc-support.test-helpers.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];
const N = 37;
const PAGE = 5;

type Row = { id: number; value: string | number | null };

/** `rows` in the order the lists promise: by value (ascending NULLS FIRST), then id; descending is the exact reverse. */
function expected(rows: Row[], direction: "asc" | "desc"): number[] {
  const rank = (v: Row["value"]) => (v === null ? -Infinity : v);
  const asc = [...rows].sort((a, b) => {
    const x = rank(a.value);
    const y = rank(b.value);
    if (x !== y) return x < y ? -1 : 1;
    return a.id - b.id;
  });
  return (direction === "asc" ? asc : asc.reverse()).map((r) => r.id);
}

/** Every page of a list of `total` rows, concatenated. */
async function walk(list: (skip: number, take: number) => Promise<{ total: number; ids: number[] }>): Promise<{ total: number; ids: number[] }> {
  const ids: number[] = [];
  let total = -1;
  for (let skip = 0; ; skip += PAGE) {
    const page = await list(skip, PAGE);
    total = page.total;
    ids.push(...page.ids);
    if (page.ids.length < PAGE) break;
  }
  return { total, ids };
}

describe("artifact and repository lists", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let f: GcFixture;
  before(async () => {
    f = await createGcFixture(adminUrl!);
    for (let i = 0; i < N; i++) {
      const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", created: "2026-12-01T00:00:00Z", n: i }));
      const layer = Buffer.from(`lists-layer-${i}`);
      await f.upload("lists/app", config);
      await f.upload("lists/app", layer);
      await f.push("lists/app", `v${i}`, f.imageManifest(config, [layer]));
    }
    // Ties and NULLs in every sort key: push times in 6 groups, a third never pulled, sizes in 4 groups.
    await f.prisma.$executeRawUnsafe(`
      UPDATE manifests SET pushed_at = timestamptz '2026-12-01' + (id % 6) * interval '1 minute',
                           pulled_at = CASE WHEN id % 3 = 0 THEN NULL ELSE timestamptz '2026-12-02' + (id % 5) * interval '1 minute' END,
                           size = 1000 + id % 4`);
    for (const name of ["lists", "lists/r1", "lists/r0", "lists/deep/nested", "lists-x/a", "listsa/b", "other/lists"]) {
      const config = Buffer.from(`repo-${name}`);
      await f.upload(name, config);
      await f.push(name, "latest", f.imageManifest(config, []));
    }
    await f.prisma.$executeRawUnsafe(`UPDATE repositories SET created_at = timestamptz '2026-12-01' + (id % 3) * interval '1 hour', updated_at = timestamptz '2026-12-01' + (id % 2) * interval '1 hour'`);
  });
  after(async () => f?.close());

  const artifactRows = async (field: ArtifactOrderField): Promise<Row[]> => {
    const column = { pushTime: "extract(epoch from pushed_at)::float8", pullTime: "extract(epoch from pulled_at)::float8", size: "size::float8", digest: "digest" }[field];
    const rows = await f.prisma.$queryRawUnsafe<{ id: bigint; value: string | number | null }[]>(
      `SELECT m.id, ${column} AS value FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.name = 'lists/app'`,
    );
    return rows.map((r) => ({ id: Number(r.id), value: r.value }));
  };

  for (const field of ["pushTime", "pullTime", "size", "digest"] as const) {
    for (const direction of ["asc", "desc"] as const) {
      test(`artifacts by ${direction === "desc" ? "-" : ""}${field}: every page in order, each row once`, async () => {
        const order: ListOrder<ArtifactOrderField> = [{ field, direction }];
        const got = await walk(async (skip, take) => {
          const page = await f.store.artifacts.listArtifacts("lists/app", { order, skip, take });
          return { total: page.total, ids: page.items.map((a) => a.id) };
        });
        assert.equal(got.total, N);
        assert.deepEqual(got.ids, expected(await artifactRows(field), direction));
      });
    }
  }

  test("artifacts by default: newest push first, ties by the newest id; tags and attributes on each", async () => {
    const got = await walk(async (skip, take) => {
      const page = await f.store.artifacts.listArtifacts("lists/app", { skip, take });
      for (const a of page.items) {
        assert.equal(a.tags.length, 1, `artifact ${a.id} has its tag`);
        assert.deepEqual(await f.store.artifacts.configAttributes(a), { architecture: "amd64", os: "linux", created: "2026-12-01T00:00:00Z" });
      }
      return { total: page.total, ids: page.items.map((a) => a.id) };
    });
    assert.deepEqual(got.ids, expected(await artifactRows("pushTime"), "desc"));
  });

  test("an image's attributes are kept with its manifest at push (lists read no config blob)", async () => {
    const kept = await f.prisma.$queryRawUnsafe<{ n: bigint }[]>(
      `SELECT count(*) AS n FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.name = 'lists/app' AND m.config_attributes->>'os' = 'linux'`,
    );
    assert.equal(Number(kept[0]!.n), N);
  });

  test("a project's repositories: exactly `<project>/…`, every sort, every page, counted", async () => {
    const all = await f.prisma.$queryRawUnsafe<{ id: number; name: string; created: number; updated: number }[]>(
      `SELECT id, name, extract(epoch from created_at)::float8 AS created, extract(epoch from updated_at)::float8 AS updated FROM repositories`,
    );
    const mine = all.filter((r) => r.name.startsWith("lists/"));
    assert.deepEqual(mine.map((r) => r.name).sort(), ["lists/app", "lists/deep/nested", "lists/r0", "lists/r1"]);
    assert.equal(await f.store.artifacts.countRepositories("lists"), mine.length);
    const byName = (direction: "asc" | "desc") => {
      const asc = [...mine].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)) || a.id - b.id).map((r) => r.id);
      return direction === "asc" ? asc : asc.reverse();
    };
    const cases: [ListOrder<RepositoryOrderField> | undefined, number[]][] = [
      [undefined, byName("asc")],
      [[{ field: "name", direction: "asc" }], byName("asc")],
      [[{ field: "name", direction: "desc" }], byName("desc")],
      [[{ field: "createdAt", direction: "asc" }], expected(mine.map((r) => ({ id: r.id, value: r.created })), "asc")],
      [[{ field: "createdAt", direction: "desc" }], expected(mine.map((r) => ({ id: r.id, value: r.created })), "desc")],
      [[{ field: "updatedAt", direction: "asc" }], expected(mine.map((r) => ({ id: r.id, value: r.updated })), "asc")],
      [[{ field: "updatedAt", direction: "desc" }], expected(mine.map((r) => ({ id: r.id, value: r.updated })), "desc")],
    ];
    for (const [order, want] of cases) {
      const got: number[] = [];
      for (let skip = 0; ; skip += 2) {
        const page = await f.store.artifacts.listRepositories("lists", { ...(order && { order }), skip, take: 2 });
        assert.equal(page.total, mine.length);
        got.push(...page.items.map((r) => r.id));
        if (page.items.length < 2) break;
      }
      assert.deepEqual(got, want, JSON.stringify(order));
    }
  });
});
