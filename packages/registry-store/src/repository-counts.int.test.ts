/**
 * A project's repository count (`project_repository_counts`, db.ts) against a real PostgreSQL:
 * equal to its `<project>/…` rows through concurrent creation of the same repositories by
 * uploads, mounts and manifest pushes, deletes and folds — it is the `X-Total-Count` of the
 * repositories list and `repo_count` of project views.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { foldRepositoryCounts } from "./db.js";
import { createGcFixture, digestOf, type GcFixture } from "./gc/gc-support.test-helpers.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];

describe("repository counts per project", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let f: GcFixture;
  before(async () => {
    f = await createGcFixture(adminUrl!, 24);
  });
  after(async () => f?.close());

  const rows = async (project: string) => {
    const r = await f.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*)::bigint AS n FROM repositories WHERE name LIKE ${`${project}/%`}`;
    return Number(r[0]!.n);
  };
  const countRows = async (project: string) => {
    const r = await f.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*)::bigint AS n FROM project_repository_counts WHERE project = ${project}`;
    return Number(r[0]!.n);
  };

  test("concurrent first pushes of the same repositories count each once", async () => {
    const names = Array.from({ length: 6 }, (_, i) => `counted/r${i}`);
    // Every repository created by several writers at once: upload sessions, monolithic uploads, manifest pushes.
    await Promise.all(
      names.flatMap((name, i) => [
        f.store.uploads.start(name),
        f.store.uploads.start(name),
        (async () => {
          const config = Buffer.from(`config-${i}`);
          await f.upload(name, config);
          await f.push(name, "latest", f.imageManifest(config, []));
        })(),
      ]),
    );
    await f.store.uploads.start("other/x");
    assert.equal(await rows("counted"), names.length);
    assert.equal(await f.store.artifacts.countRepositories("counted"), names.length);
    const list = await f.store.artifacts.listRepositories("counted", { skip: 4, take: 10 });
    assert.equal(list.total, names.length);
    assert.deepEqual(list.items.map((r) => r.name), ["counted/r4", "counted/r5"]);
  });

  test("a mount into a new repository counts it", async () => {
    const bytes = Buffer.from("mounted-blob");
    await f.upload("counted/r0", bytes);
    await f.store.blobs.mount("counted/mounted", digestOf(bytes), "counted/r0");
    assert.equal(await f.store.artifacts.countRepositories("counted"), await rows("counted"));
    assert.equal(await rows("counted"), 7);
  });

  test("deletes take repositories off, folds keep the count and leave one row", async () => {
    await f.store.artifacts.deleteRepository("counted/r1");
    await f.store.artifacts.deleteRepository("counted/mounted");
    assert.equal(await f.store.artifacts.countRepositories("counted"), 5);
    assert.ok((await countRows("counted")) > 1);
    await foldRepositoryCounts(f.prisma);
    assert.equal(await countRows("counted"), 1);
    assert.equal(await f.store.artifacts.countRepositories("counted"), 5);
    assert.equal(await f.store.artifacts.countRepositories("other"), 1);
    for (const name of ["counted/r0", "counted/r2", "counted/r3", "counted/r4", "counted/r5"]) await f.store.artifacts.deleteRepository(name);
    await foldRepositoryCounts(f.prisma);
    assert.equal(await f.store.artifacts.countRepositories("counted"), 0);
    assert.equal(await countRows("counted"), 0, "a project folded to 0 keeps no row");
    const list = await f.store.artifacts.listRepositories("counted", { skip: 0, take: 10 });
    assert.deepEqual(list, { total: 0, items: [] });
  });
});
