/**
 * The count rows of db.ts against a real PostgreSQL: a project's repositories
 * (`project_repository_counts`; the repositories list's `X-Total-Count`, `repo_count` of project
 * views) and a repository's artifacts (`repository_artifact_counts`; the artifact list's total,
 * `artifact_count` of repository views) stay equal to the rows they count through concurrent
 * creation by every write path, deletes, deleted repositories and folds.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseManifestReference } from "@berth/oci";
import { foldArtifactCounts, foldRepositoryCounts } from "./db.js";
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

  test("a fold skips the rows another fold holds instead of waiting for them, and the sums stay exact", async () => {
    const sum = async (project: string) =>
      Number((await f.prisma.$queryRaw<{ n: bigint }[]>`SELECT coalesce(sum(delta), 0)::bigint AS n FROM project_repository_counts WHERE project = ${project}`)[0]!.n);
    await f.prisma.$executeRaw`INSERT INTO project_repository_counts (project, delta) SELECT p, 1 FROM unnest(ARRAY['held', 'held', 'held', 'held', 'free', 'free', 'free']) AS p`;
    await f.prisma.$transaction(
      async (tx) => {
        // What a concurrent fold holds while it deletes: two of held's rows.
        await tx.$queryRaw`SELECT id FROM project_repository_counts WHERE project = 'held' ORDER BY id LIMIT 2 FOR UPDATE`;
        const folded = await Promise.race([foldRepositoryCounts(f.prisma).then(() => "folded"), new Promise((r) => setTimeout(r, 10_000, "waited"))]);
        assert.equal(folded, "folded", "the fold did not wait for the held rows");
        assert.deepEqual([await countRows("free"), await countRows("held")], [1, 3], "free folded; held's two free rows folded into one, the held ones left");
        assert.deepEqual([await sum("free"), await sum("held")], [3, 4]);
      },
      { timeout: 30_000 },
    );
    await foldRepositoryCounts(f.prisma);
    assert.deepEqual([await countRows("held"), await sum("held")], [1, 4], "released, the rest folds");
  });
});

describe("artifact counts per repository", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let f: GcFixture;
  before(async () => {
    f = await createGcFixture(adminUrl!, 24);
  });
  after(async () => f?.close());

  const manifests = async (repository: string) => {
    const r = await f.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*)::bigint AS n FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.name = ${repository}`;
    return Number(r[0]!.n);
  };
  const image = async (repository: string, i: number) => {
    const config = Buffer.from(`artifact-config-${repository}-${i}`);
    const layer = Buffer.from(`artifact-layer-${repository}-${i}`);
    await f.upload(repository, config);
    await f.upload(repository, layer);
    return f.imageManifest(config, [layer]);
  };
  const listed = async (repository: string) => (await f.store.artifacts.listArtifacts(repository, { skip: 0, take: 100 })).total;
  const viewed = async (repository: string) => (await f.store.artifacts.getRepository(repository))?.artifactCount;

  test("pushes count each new manifest once (re-pushes, concurrent pushes of one manifest, both push paths)", async () => {
    const bodies = await Promise.all(Array.from({ length: 8 }, (_, i) => image("arts/app", i)));
    // The same eight manifests pushed three times each, at once, under different tags.
    await Promise.all(bodies.flatMap((body, i) => [f.push("arts/app", `a${i}`, body), f.push("arts/app", `b${i}`, body), f.push("arts/app", `a${i}`, body)]));
    // An index (the full-transaction path) over two of them.
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: bodies.slice(0, 2).map((b) => ({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: digestOf(b), size: b.length })),
      }),
    );
    await f.push("arts/app", "multi", index);
    assert.equal(await manifests("arts/app"), 9);
    assert.equal(await listed("arts/app"), 9);
    assert.equal(await viewed("arts/app"), 9);
    const page = await f.store.artifacts.listRepositories("arts", { skip: 0, take: 10 });
    assert.deepEqual(page.items.map((r) => [r.name, r.artifactCount]), [["arts/app", 9]]);
  });

  test("deletes take manifests off, filtered lists count their matches, folds keep the sums", async () => {
    const body = await image("arts/app", 0);
    await f.store.manifests.delete("arts/app", parseManifestReference(digestOf(await image("arts/app", 7))));
    assert.equal(await listed("arts/app"), 8);
    await f.store.manifests.delete("arts/app", parseManifestReference("b1")); // a tag, not an artifact
    assert.equal(await listed("arts/app"), 8);
    const untagged = await f.store.artifacts.listArtifacts("arts/app", { skip: 0, take: 100, tag: { kind: "none" } });
    assert.equal(untagged.total, 0);
    const tagged = await f.store.artifacts.listArtifacts("arts/app", { skip: 0, take: 100, tag: { kind: "exact", value: "a0" } });
    assert.equal(tagged.total, 1);
    assert.equal(digestOf(body), tagged.items[0]!.digest);
    const rowsBefore = await f.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*)::bigint AS n FROM repository_artifact_counts`;
    assert.ok(Number(rowsBefore[0]!.n) > 1);
    const upto = await foldArtifactCounts(f.prisma, 0n);
    assert.equal(await foldArtifactCounts(f.prisma, upto), upto, "nothing new since the last fold");
    const rowsAfter = await f.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*)::bigint AS n FROM repository_artifact_counts`;
    assert.equal(Number(rowsAfter[0]!.n), 1);
    assert.equal(await listed("arts/app"), await manifests("arts/app"));
    assert.equal(await viewed("arts/app"), 8);
  });

  test("a deleted repository takes its count along", async () => {
    await f.store.artifacts.deleteRepository("arts/app");
    const rows = await f.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*)::bigint AS n FROM repository_artifact_counts`;
    assert.equal(Number(rows[0]!.n), 0);
    assert.equal(await f.store.artifacts.countRepositories("arts"), 0);
  });
});
