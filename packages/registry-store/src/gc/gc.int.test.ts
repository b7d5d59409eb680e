/**
 * Online GC against a real PostgreSQL and the filesystem driver: each race of GC.md in a focused
 * test with explicit lock timing (GC paused inside its transaction through a hook), plus dry run,
 * the grace window, untagged manifests, stale uploads and crash recovery.
 */
import assert from "node:assert/strict";
import { utimes } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { parseManifestReference, type Digest } from "@berth/oci";
import { BlobUnknownError, ManifestBlobUnknownError } from "../errors.js";
import { blobDataPath, uploadDirectory } from "../paths.js";
import { createGcFixture, digestOf, type GcFixture } from "./gc-support.test-helpers.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];

async function* chunks(s: string) {
  yield Buffer.from(s);
}

/** A gate a hook waits on; `reached` resolves when the hook is entered. */
function gate() {
  let open!: () => void;
  let reach!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (reach = r));
  return {
    reached,
    open,
    async hold() {
      reach();
      await opened;
    },
  };
}

/** Settles `p` into a value or the error, with a flag telling whether it settled yet. */
function track<T>(p: Promise<T>) {
  const t = { settled: false, result: undefined as Promise<T | unknown> | undefined };
  t.result = p.then(
    (v) => ((t.settled = true), v),
    (e: unknown) => ((t.settled = true), e),
  );
  return t as { settled: boolean; result: Promise<T | unknown> };
}

describe("online GC", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let f: GcFixture;
  before(async () => {
    f = await createGcFixture(adminUrl!);
  });
  after(async () => {
    await f?.close();
  });

  test("dry run reports and deletes nothing", async () => {
    const kept = await f.upload("dry/a", Buffer.from("dry-kept-config"));
    const layer = await f.upload("dry/a", Buffer.from("dry-kept-layer"));
    const m = f.imageManifest(Buffer.from("dry-kept-config"), [Buffer.from("dry-kept-layer")]);
    await f.push("dry/a", "v1", m);
    const loose = await f.upload("dry/a", Buffer.from("dry-loose"));
    await f.age(3);
    const lines: string[] = [];
    const report = await f.gc().run({ dryRun: true, timeWindowHours: 2 }, (l) => lines.push(l));
    assert.equal(report.dryRun, true);
    assert.ok(report.blobsDeleted >= 1);
    assert.ok(lines.some((l) => l.includes(`would delete blob ${loose}`)));
    for (const d of [kept, layer, loose]) {
      assert.equal((await f.blobRow(d))?.status, "none");
      assert.ok(await f.contentVerifies(d));
    }
    await f.store.blobs.stat("dry/a", loose);
    // the real run frees it and keeps the referenced ones
    const real = await f.gc().run({ timeWindowHours: 2 });
    assert.ok(real.blobsDeleted >= 1 && real.linksRemoved >= 1);
    assert.equal(await f.blobRow(loose), undefined);
    assert.equal(await f.contentExists(loose), false);
    assert.ok(await f.contentVerifies(kept));
    assert.ok(await f.contentVerifies(layer));
  });

  test("race 1: the window protects a layer uploaded before its manifest", async () => {
    const config = Buffer.from("r1-config");
    const layer = Buffer.from("r1-layer");
    await f.upload("r1/app", config);
    const layerDigest = await f.upload("r1/app", layer);
    const report = await f.gc().run({ timeWindowHours: 2 });
    assert.equal(report.dryRun, false);
    assert.equal((await f.blobRow(layerDigest))?.status, "none");
    assert.ok(await f.contentVerifies(layerDigest));
    // the manifest arrives later and succeeds
    await f.push("r1/app", "v1", f.imageManifest(config, [layer]));
    await f.age(5);
    await f.gc().run({ timeWindowHours: 2 });
    assert.ok(await f.contentVerifies(layerDigest), "referenced now, kept after the window too");
  });

  test("race 2: a push that arrives while GC removes the link waits, then answers MANIFEST_BLOB_UNKNOWN", async () => {
    const config = Buffer.from("r2-config");
    const layer = Buffer.from("r2-layer");
    await f.upload("r2/app", config);
    const layerDigest = await f.upload("r2/app", layer);
    await f.age(3);
    const g = gate();
    const run = f.gc({ hooks: { afterUnlink: (links) => (links.some((l) => l.digest === layerDigest) ? g.hold() : undefined) } }).run({ timeWindowHours: 2 });
    await g.reached;
    const push = track(f.push("r2/app", "v1", f.imageManifest(config, [layer])));
    await sleep(300);
    assert.equal(push.settled, false, "the push waits for GC's lock on the link");
    g.open();
    await run;
    const err = await push.result;
    assert.ok(err instanceof ManifestBlobUnknownError, String(err));
    // the client re-uploads what is missing and pushes again
    for (const d of err.blobs) await f.upload("r2/app", d === layerDigest ? layer : config);
    await f.push("r2/app", "v1", f.imageManifest(config, [layer]));
    assert.ok(await f.contentVerifies(layerDigest));
  });

  test("race 2, other order: GC skips a blob a push holds, and the push's references keep it", async () => {
    const bytes = Buffer.from("r2b-layer");
    const digest = await f.upload("r2b/app", bytes);
    await f.age(3);
    // a push in flight: holds FOR SHARE on the blob and link rows, then writes its references
    const push = new pg.Client({ connectionString: f.db.url });
    await push.connect();
    await push.query("BEGIN");
    await push.query(
      `SELECT b.digest FROM blobs b JOIN repository_blobs rb ON rb.blob_digest = b.digest
       JOIN repositories r ON r.id = rb.repository_id WHERE r.name = 'r2b/app' AND b.digest = $1 FOR SHARE OF b, rb`,
      [digest],
    );
    await f.gc().run({ timeWindowHours: 2 });
    const rid = (await push.query("SELECT id FROM repositories WHERE name = 'r2b/app'")).rows[0].id;
    const mid = (
      await push.query(
        `INSERT INTO manifests (repository_id, digest, media_type, payload, size) VALUES ($1, 'sha256:${"0".repeat(64)}', 'x', '\\x00', 1) RETURNING id`,
        [rid],
      )
    ).rows[0].id;
    await push.query("INSERT INTO manifest_references (manifest_id, kind, digest) VALUES ($1, 'layer', $2)", [mid, digest]);
    await push.query("COMMIT");
    await push.end();
    await f.gc().run({ timeWindowHours: 0 });
    assert.equal((await f.blobRow(digest))?.status, "none");
    assert.ok(await f.contentVerifies(digest));
    await f.store.blobs.stat("r2b/app", digest);
  });

  test("race 3: an upload of the same digest during the sweep ends with row and content present", async () => {
    const bytes = Buffer.from("r3-blob re-uploaded while GC deletes it");
    const digest = await f.upload("r3/app", bytes);
    await f.store.blobs.unlink("r3/app", digest);
    await f.age(3);
    const g = gate();
    const run = f.gc({ hooks: { afterContentDelete: (d) => (d === digest ? g.hold() : undefined) } }).run({ timeWindowHours: 2 });
    await g.reached;
    assert.equal(await f.contentExists(digest), false, "GC deleted the content while holding the row lock");
    const again = track(f.upload("r3/app", bytes));
    await sleep(300);
    assert.equal(again.settled, false, "the upload waits for GC's row lock");
    g.open();
    const report = await run;
    assert.ok(report.blobsDeleted >= 1);
    assert.equal(await again.result, digest);
    assert.equal((await f.blobRow(digest))?.status, "none");
    assert.ok(await f.contentVerifies(digest));
    assert.equal((await f.store.blobs.stat("r3/app", digest)).size, bytes.length);
  });

  test("race 4: a blob marked for deletion is unknown to HEAD, mount and push; an upload revives it", async () => {
    const bytes = Buffer.from("r4-blob");
    const config = Buffer.from("r4-config");
    const digest = await f.upload("r4/src", bytes);
    await f.store.blobs.unlink("r4/src", digest);
    await f.age(3);
    await f.upload("r4/dst", config);
    const g = gate();
    const run = f.gc({ hooks: { afterMark: (ds) => (ds.includes(digest) ? g.hold() : undefined) } }).run({ timeWindowHours: 2 });
    await g.reached;
    assert.equal((await f.blobRow(digest))?.status, "deleting");
    await assert.rejects(f.store.blobs.stat("r4/src", digest), BlobUnknownError);
    assert.equal(await f.store.blobs.mount("r4/dst", digest, "r4/src"), undefined);
    await assert.rejects(f.push("r4/dst", "v1", f.imageManifest(config, [bytes])), ManifestBlobUnknownError);
    // the client uploads it: the row is revived, GC's sweep then leaves it alone
    await f.upload("r4/dst", bytes);
    g.open();
    await run;
    assert.equal((await f.blobRow(digest))?.status, "none");
    assert.ok(await f.contentVerifies(digest));
    await f.push("r4/dst", "v1", f.imageManifest(config, [bytes]));
  });

  test("race 5: a GC killed between content and row deletion leaves an invisible row the next run removes", async () => {
    const bytes = Buffer.from("r5-blob");
    const digest = await f.upload("r5/app", bytes);
    await f.store.blobs.unlink("r5/app", digest);
    await f.age(3);
    const crashing = f.gc({
      hooks: {
        afterContentDelete: (d) => {
          if (d === digest) throw new Error("killed");
        },
      },
    });
    await assert.rejects(crashing.run({ timeWindowHours: 2 }), /killed/);
    assert.equal((await f.blobRow(digest))?.status, "deleting", "the row stays, marked deleting");
    assert.equal(await f.contentExists(digest), false);
    await assert.rejects(f.store.blobs.stat("r5/app", digest), BlobUnknownError);
    // an orphan file (crash after a row was deleted elsewhere) is collected too
    const orphan = Buffer.from("r5-orphan file");
    await f.driver.putContent(blobDataPath(digestOf(orphan)), orphan);
    const report = await f.gc().run({ timeWindowHours: 0 });
    assert.ok(report.orphanBlobFiles >= 1);
    assert.equal(await f.blobRow(digest), undefined);
    assert.equal(await f.contentExists(digestOf(orphan)), false);
  });

  test("the storage walk stats only blob directories without a row: an old orphan file goes, a young one and a live blob stay", async () => {
    const live = await f.upload("walk/app", Buffer.from("walk-live-blob"));
    const [young, old] = [Buffer.from("walk-young-orphan"), Buffer.from("walk-old-orphan")];
    for (const b of [young, old]) await f.driver.putContent(blobDataPath(digestOf(b)), b);
    const threeHoursAgo = new Date(Date.now() - 3 * 3600_000);
    await utimes(join(f.dir, blobDataPath(digestOf(old))), threeHoursAgo, threeHoursAgo);
    const statted: string[] = [];
    const driver = new Proxy(f.driver, {
      get(target, key) {
        if (key === "stat") return (path: string) => (statted.push(path), target.stat(path));
        const value: unknown = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const report = await f.gc({ driver }).run({ timeWindowHours: 2 });
    assert.ok(report.orphanBlobFiles >= 1);
    assert.equal(await f.contentExists(digestOf(old)), false, "an orphan older than the window is removed");
    assert.equal(await f.contentExists(digestOf(young)), true, "one inside the window may be an upload in flight");
    assert.ok(await f.contentVerifies(live));
    assert.ok(statted.includes(blobDataPath(digestOf(young))), "a directory without a row is looked at");
    assert.ok(!statted.includes(blobDataPath(live)), "a blob with a row is known by its name alone");
  });

  test("race 5, revived: a re-upload after the crash restores content", async () => {
    const bytes = Buffer.from("r5b-blob");
    const digest = await f.upload("r5b/app", bytes);
    await f.store.blobs.unlink("r5b/app", digest);
    await f.age(3);
    await assert.rejects(
      f.gc({ hooks: { afterContentDelete: (d) => { if (d === digest) throw new Error("killed"); } } }).run({ timeWindowHours: 2 }),
      /killed/,
    );
    await f.upload("r5b/app", bytes);
    assert.equal((await f.blobRow(digest))?.status, "none");
    assert.ok(await f.contentVerifies(digest));
    await f.gc().run({ timeWindowHours: 2 });
    assert.ok(await f.contentVerifies(digest));
  });

  test("delete_untagged: untagged images go with their referrers; children of tagged indexes and referrers of live subjects stay", async () => {
    const repo = "untagged/app";
    const blobs = new Map<string, Buffer>();
    const mk = async (name: string) => {
      const c = Buffer.from(`${name}-config`);
      const l = Buffer.from(`${name}-layer`);
      await f.upload(repo, c);
      await f.upload(repo, l);
      blobs.set(digestOf(l), l);
      return { c, l };
    };
    const a = await mk("a");
    const b = await mk("b");
    const ma = f.imageManifest(a.c, [a.l]);
    const mb = f.imageManifest(b.c, [b.l]);
    const da = await f.push(repo, "a", ma);
    const db = await f.push(repo, "b", mb);
    // a referrer of a (untagged, by digest) and a tagged index over b
    const sigCfg = Buffer.from("{}");
    await f.upload(repo, sigCfg);
    const sig = f.imageManifest(sigCfg, [], { subject: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: da, size: ma.length } });
    const dsig = (await f.store.manifests.put(repo, parseManifestReference(digestOf(sig)), sig, undefined)).digest;
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: db, size: mb.length }],
      }),
    );
    await f.push(repo, "idx", index);
    await f.store.manifests.delete(repo, parseManifestReference("b"));
    await f.age(3);
    const deletedHere = async () => {
      const lines: string[] = [];
      await f.gc().run({ deleteUntagged: true, timeWindowHours: 2 }, (l) => lines.push(l));
      const mine = lines.filter((l) => l.startsWith(`deleted untagged manifest ${repo}@`));
      if (process.env["GC_DEBUG"]) console.log(mine);
      return mine.length;
    };
    assert.equal(await deletedHere(), 0, "b is a child of a tagged index, sig's subject is tagged");
    // untag a: a goes, then its referrer
    await f.store.manifests.delete(repo, parseManifestReference("a"));
    await f.age(3);
    assert.equal(await deletedHere(), 2);
    await assert.rejects(f.store.manifests.get(repo, parseManifestReference(da)));
    await assert.rejects(f.store.manifests.get(repo, parseManifestReference(dsig)));
    assert.equal(await f.contentExists(digestOf(a.l)), false);
    assert.ok(await f.contentVerifies(digestOf(b.l)));
    const events = await f.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM outbox_events WHERE type = 'manifest.deleted' AND payload->>'actor' = 'garbage-collector' AND payload->>'repository' = ${repo}`;
    assert.equal(Number(events[0]!.n), 2);
  });

  test("stale upload sessions and orphan upload directories are purged; fresh ones stay", async () => {
    const stale = await f.store.uploads.start("up/app");
    await f.store.uploads.append("up/app", stale.id, chunks("partial"));
    const fresh = await f.store.uploads.start("up/app");
    await f.store.uploads.append("up/app", fresh.id, chunks("partial"));
    await f.prisma.$executeRaw`UPDATE upload_sessions SET updated_at = now() - interval '2 days' WHERE id = ${stale.id}::uuid`;
    const orphanId = "00000000-0000-4000-8000-000000000001";
    await f.driver.putContent(`${uploadDirectory(orphanId)}/data`, "x");
    const gc = f.gc({ uploadMinIdleHours: 0 });
    // uploadMinIdleHours 0 and a 1 h window: only the stale one (the orphan directory is new)
    const report = await gc.run({ timeWindowHours: 1 });
    assert.equal(report.uploadsPurged, 1);
    await assert.rejects(f.store.uploads.status("up/app", stale.id));
    assert.equal((await f.store.uploads.status("up/app", fresh.id)).offset, 7);
    const r2 = await gc.run({ timeWindowHours: 0 });
    assert.ok(r2.orphanUploadDirs >= 1);
    await assert.rejects(f.driver.stat(uploadDirectory(orphanId)));
  });

  test("a 0 window never purges uploads in progress (24 h floor by default)", async () => {
    const s = await f.store.uploads.start("up2/app");
    await f.store.uploads.append("up2/app", s.id, chunks("abc"));
    await f.gc().run({ timeWindowHours: 0 });
    const bytes = Buffer.from("abc");
    const blob = await f.store.uploads.complete("up2/app", s.id, digestOf(bytes) as Digest);
    assert.equal(blob.size, 3);
  });
});

describe("GC runs", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  test("one run at a time; the run records its log, counts and status", async () => {
    const { createGcRun, executeGcRun, GcRunningError } = await import("./gc-runs.js");
    const f = await createGcFixture(adminUrl!);
    try {
      const d = await f.upload("runs/app", Buffer.from("runs-blob"));
      await f.store.blobs.unlink("runs/app", d);
      const id = await createGcRun(f.prisma, { timeWindowHours: 0, workers: 2 }, "Manual");
      await assert.rejects(createGcRun(f.prisma, {}, "Manual"), GcRunningError);
      const report = await executeGcRun(f.prisma, f.gc(), id);
      assert.equal(report?.blobsDeleted, 1);
      assert.equal(await executeGcRun(f.prisma, f.gc(), id), undefined, "a duplicate job is a no-op");
      const rows = await f.prisma.$queryRaw<{ status: string; freed_blobs: number; log: string }[]>`SELECT status, freed_blobs, log FROM gc_runs WHERE id = ${id}`;
      assert.equal(rows[0]!.status, "Success");
      assert.equal(rows[0]!.freed_blobs, 1);
      assert.match(rows[0]!.log, new RegExp(`deleted blob ${d}`));
      await createGcRun(f.prisma, {}, "Manual"); // free again
    } finally {
      await f.close();
    }
  });

  test("marking reads the blobs slice by slice of the primary key: orphans behind slices of live rows go, with statistics that know none of them", async () => {
    const f = await createGcFixture(adminUrl!);
    try {
      // 5,000 live rows first in digest order ('0…'), then 2,500 old orphans ('f…'): the first
      // slices hold no candidate at all. The statistics are taken before the orphans exist.
      await f.prisma.$executeRawUnsafe(`INSERT INTO blobs (digest, size, status, updated_at)
        SELECT 'sha256:0' || substr(encode(sha256(convert_to('slice-live-' || g, 'UTF8')), 'hex'), 2), 1, 'none', now()
        FROM generate_series(1, 5000) AS g`);
      await f.prisma.$executeRawUnsafe("ANALYZE blobs");
      await f.prisma.$executeRawUnsafe(`INSERT INTO blobs (digest, size, status, updated_at)
        SELECT 'sha256:f' || substr(encode(sha256(convert_to('slice-orphan-' || g, 'UTF8')), 'hex'), 2), 1, 'none', now() - interval '3 hours'
        FROM generate_series(1, 2500) AS g`);
      const linked = await f.upload("slices/app", Buffer.from("an old blob a repository still links"));
      await f.prisma.$executeRaw`UPDATE blobs SET updated_at = now() - interval '3 hours' WHERE digest = ${linked}`;
      const batches: number[] = [];
      const report = await f.gc({ hooks: { afterMark: (digests) => void batches.push(digests.length) } }).run({ timeWindowHours: 2 });
      assert.equal(report.blobsDeleted, 2500);
      const left = await f.prisma.$queryRaw<{ live: bigint; orphans: bigint }[]>`
        SELECT count(*) FILTER (WHERE digest LIKE 'sha256:0%' AND size = 1) AS live, count(*) FILTER (WHERE digest LIKE 'sha256:f%' AND size = 1) AS orphans FROM blobs`;
      assert.deepEqual(left[0], { live: 5000n, orphans: 0n });
      assert.ok(await f.blobRow(linked), "a linked blob stays, however old");
      assert.ok(batches.length >= 2 && batches.every((n) => n <= 2000), `marked in slices of at most 2,000 rows: ${batches.join(", ")}`);
    } finally {
      await f.close();
    }
  });

  test("links are looked at slice by slice too: unreferenced old links behind a slice of young ones go", async () => {
    const f = await createGcFixture(adminUrl!);
    try {
      await f.upload("slicelinks/a", Buffer.from("first repository"));
      await f.upload("slicelinks/b", Buffer.from("second repository"));
      const ids = await f.prisma.$queryRaw<{ id: number; name: string }[]>`SELECT id, name FROM repositories WHERE name LIKE 'slicelinks/%' ORDER BY id`;
      assert.deepEqual(ids.map((r) => r.name), ["slicelinks/a", "slicelinks/b"]);
      const [a, b] = ids.map((r) => r.id);
      // 2,500 young links in the first repository (a full slice without a candidate), then 300
      // old links nothing references in the second.
      for (const [repo, prefix, n, age] of [[a, "young", 2500, "0 hours"], [b, "old", 300, "3 hours"]] as const) {
        await f.prisma.$executeRawUnsafe(`WITH d AS (
            INSERT INTO blobs (digest, size, status, updated_at)
            SELECT 'sha256:' || encode(sha256(convert_to('slicelinks-${prefix}-' || g, 'UTF8')), 'hex'), 1, 'none', now() - interval '3 hours'
            FROM generate_series(1, ${n}) AS g RETURNING digest)
          INSERT INTO repository_blobs (repository_id, blob_digest, created_at) SELECT ${repo}, digest, now() - interval '${age}' FROM d`);
      }
      const report = await f.gc().run({ timeWindowHours: 2 });
      assert.equal(report.linksRemoved, 300);
      const links = await f.prisma.$queryRaw<{ repository_id: number; n: bigint }[]>`
        SELECT repository_id, count(*) AS n FROM repository_blobs WHERE repository_id IN (${a}, ${b}) GROUP BY repository_id ORDER BY repository_id`;
      assert.deepEqual(links.map((l) => [l.repository_id, Number(l.n)]), [[a, 2501], [b, 1]], "the young links (and each upload's own) stay");
      assert.equal(report.blobsDeleted, 300, "and the blobs they freed go in step 3");
    } finally {
      await f.close();
    }
  });

  test("the stored log lists the first GC_LOG_ITEM_LINES deletions, then how many more, and every step", async () => {
    const { createGcRun, executeGcRun, GC_LOG_ITEM_LINES } = await import("./gc-runs.js");
    const f = await createGcFixture(adminUrl!);
    try {
      const orphans = GC_LOG_ITEM_LINES + 37;
      // Rows of old blobs nothing references (their files are absent: deleting them is a no-op).
      await f.prisma.$executeRawUnsafe(`INSERT INTO blobs (digest, size, status, updated_at)
        SELECT 'sha256:' || encode(sha256(convert_to('log-bound-' || g, 'UTF8')), 'hex'), 1, 'none', now() - interval '1 hour'
        FROM generate_series(1, ${orphans}) AS g`);
      const kept = await f.upload("logs/app", Buffer.from("a blob deleted in the first step"));
      await f.store.blobs.unlink("logs/app", kept);
      const id = await createGcRun(f.prisma, { timeWindowHours: 0 }, "Manual");
      const report = await executeGcRun(f.prisma, f.gc(), id);
      assert.equal(report?.blobsDeleted, orphans + 1);
      const rows = await f.prisma.$queryRaw<{ log: string; report: { blobsDeleted: number } }[]>`SELECT log, report FROM gc_runs WHERE id = ${id}`;
      const lines = rows[0]!.log.trimEnd().split("\n");
      assert.equal(lines.filter((l) => / deleted blob sha256:/.test(l)).length, GC_LOG_ITEM_LINES);
      const summary = lines.findIndex((l) => / step 3 \(unreferenced blobs\): /.test(l));
      assert.match(lines[summary - 1]!, new RegExp(` \\(${orphans + 1 - GC_LOG_ITEM_LINES} more lines like the above not listed\\)$`));
      for (const step of [2, 3, 4, 5]) assert.ok(lines.some((l) => l.includes(` step ${step} (`)), `step ${step} logged`);
      assert.match(lines.at(-1)!, / gc done in \d+ ms: .*blobs=\d+/);
      assert.equal(rows[0]!.report.blobsDeleted, orphans + 1, "the report has the full count");
    } finally {
      await f.close();
    }
  });
});
