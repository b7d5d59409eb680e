/**
 * Online garbage collection (docs/gc.md): runs while clients push and pull, no read-only window.
 * Every deletion re-checks, in a statement issued AFTER it holds the row locks that pushes,
 * uploads and mounts also take, that the thing is still unused; busy rows are skipped (`SKIP
 * LOCKED`) and left for the next run, so GC never makes a client wait for more than one short
 * transaction and never waits itself.
 *
 * Steps, in order:
 * 1. `deleteUntagged`: untagged manifests pushed before the window, not a child of an index and
 *    not a referrer of a live subject, deleted through {@link ManifestStore.deleteIfUnused}
 *    (outbox events, references), repeated while a pass frees more (index → children,
 *    subject → referrers).
 * 2. Links: `repository_blobs` rows older than the window, of blobs not touched within the window,
 *    that no manifest of the repository references → removed (quota released in the same
 *    transaction, {@link releaseLinks}).
 * 3. Blobs no repository links and no manifest references, not touched within the window, found
 *    slice by slice of the primary key: marked `deleting` (committed: from then on every reader
 *    treats them as absent and an upload of the same digest revives them), then in groups of 250
 *    under `FOR UPDATE`: content deleted, rows deleted.
 *    A crash can only leave a `deleting` row (invisible, finished by the next run) or an orphan
 *    file — never a visible row without content.
 * 4. Upload sessions idle longer than the window (at least `uploadMinIdleHours`): rows, then files.
 * 5. Storage walk: blob files without a row and upload directories without a session (left by a
 *    crash between steps), older than the window.
 */
import type { SqlDatabase } from "@berth/db/sql";
import type { Digest } from "@berth/oci";
import { PathNotFoundError, type StorageDriver } from "@berth/storage";
import type { Db } from "../db.js";
import type { ManifestStore } from "../manifest-store.js";
import { blobDataPath, uploadDirectory } from "../paths.js";
import { unlinkBlobs } from "../quota-store.js";

/** Parameters of one GC run (Harbor's `parameters`). */
export interface GcParameters {
  /** Also delete untagged manifests (Harbor's `delete_untagged`). */
  deleteUntagged?: boolean;
  /** Report what would be freed, delete nothing. */
  dryRun?: boolean;
  /** Parallel blob sweepers, 1–5 (Harbor's `workers`). */
  workers?: number;
  /** Grace window in hours (Harbor's `time_window`, default 2; 0 allowed). */
  timeWindowHours?: number;
}

/** Options of {@link GarbageCollector}. */
export interface GarbageCollectorOptions {
  db: SqlDatabase;
  driver: StorageDriver;
  manifests: ManifestStore;
  /**
   * Upload sessions are purged only when idle for at least this long, even with a smaller window
   * (a 0 window must not abort uploads in progress). Default 24 hours.
   */
  uploadMinIdleHours?: number;
  /** Rows per batch (default 500). */
  batchSize?: number;
  /** Longest time one blob's deletion may hold its row lock (ms, default 5 min). */
  sweepTimeoutMs?: number;
  /** Test seams: called inside the steps (throw to simulate a crash). */
  hooks?: GcHooks;
}

/** Test seams of a run. */
export interface GcHooks {
  /** Inside a link-removal transaction, after the links were deleted, before commit. */
  afterUnlink?(links: { repositoryId: number; digest: string }[]): void | Promise<void>;
  /** After blobs were marked `deleting` (committed), before any is swept. */
  afterMark?(digests: Digest[]): void | Promise<void>;
  /** After a blob's content was deleted (its row deleted in the same transaction), before the transaction commits. */
  afterContentDelete?(digest: Digest): void | Promise<void>;
}

/**
 * Receives a run's log lines. Lines about one thing (a blob, a manifest, a file deleted or that
 * would be) come with `"item"`: a run's owner may keep only some of them (see `executeGcRun`);
 * the others (start, each step's summary, the end) are always kept.
 */
export type GcLog = (line: string, kind?: "item") => void;

/** What a run did (or, in a dry run, would do). */
export interface GcReport {
  dryRun: boolean;
  timeWindowHours: number;
  manifestsDeleted: number;
  linksRemoved: number;
  blobsDeleted: number;
  bytesFreed: number;
  uploadsPurged: number;
  orphanBlobFiles: number;
  orphanUploadDirs: number;
  /** Rows left alone because a client held them (taken at the next run). */
  skippedBusy: number;
  durationMs: number;
}

/** The actor named in GC's outbox events. */
export const GC_ACTOR = { name: "garbage-collector" } as const;

/**
 * Removes `digests`' links from repository `repositoryId` in transaction `tx`, releasing their
 * quota usage in the same transaction (GC.md race 6).
 *
 * The single place GC removes links: through the quota module's {@link unlinkBlobs}.
 */
export async function releaseLinks(tx: Db, repositoryId: number, digests: string[]): Promise<number> {
  return (await unlinkBlobs(tx, repositoryId, digests)).length;
}

const DIGEST_DIRECTORY = /^\/blobs\/([a-z0-9]+)\/[0-9a-f]{2}\/([0-9a-f]+)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Blobs swept per transaction (step 3), half a default batch: an upload of one of them waits at
 * most for the group (one `deleteFiles`: ~40 ms on this machine's filesystem, one request on S3).
 * Bigger groups mean fewer round trips to PostgreSQL, which on a loaded machine each wait for a
 * core: 32 per group ran at ~1,000 blobs/s, 128 at ~1,200.
 */
const SWEEP_GROUP = 250;

/** Rows looked at per transaction in steps 2 and 3: a slice of the table's primary key. */
const SLICE = 2000;

/** Digests found in storage looked up per statement (step 5). */
const LOOKUP_BATCH = 2000;

/** A blob's data file found in storage. */
interface BlobFile {
  digest: Digest;
  size: number;
  modTime: Date;
}

/** Runs garbage collection over one database and storage. Safe to run concurrently with itself. */
export class GarbageCollector {
  readonly #db: SqlDatabase;
  readonly #driver: StorageDriver;
  readonly #manifests: ManifestStore;
  readonly #uploadMinIdleHours: number;
  readonly #batch: number;
  readonly #sweepTimeoutMs: number;
  readonly #hooks: GcHooks;

  constructor(options: GarbageCollectorOptions) {
    this.#db = options.db;
    this.#driver = options.driver;
    this.#manifests = options.manifests;
    this.#uploadMinIdleHours = options.uploadMinIdleHours ?? 24;
    this.#batch = options.batchSize ?? 500;
    this.#sweepTimeoutMs = options.sweepTimeoutMs ?? 5 * 60_000;
    this.#hooks = options.hooks ?? {};
  }

  /** One run. `log` receives human-readable lines (the run's log). */
  async run(parameters: GcParameters = {}, log: GcLog = () => {}): Promise<GcReport> {
    const started = Date.now();
    const windowHours = parameters.timeWindowHours ?? 2;
    if (!(windowHours >= 0)) throw new RangeError("time window must be >= 0 hours");
    const workers = Math.min(5, Math.max(1, Math.trunc(parameters.workers ?? 1)));
    const w = windowHours * 3600;
    const dryRun = parameters.dryRun === true;
    const report: GcReport = {
      dryRun,
      timeWindowHours: windowHours,
      manifestsDeleted: 0,
      linksRemoved: 0,
      blobsDeleted: 0,
      bytesFreed: 0,
      uploadsPurged: 0,
      orphanBlobFiles: 0,
      orphanUploadDirs: 0,
      skippedBusy: 0,
      durationMs: 0,
    };
    log(`gc start: dry_run=${dryRun} delete_untagged=${parameters.deleteUntagged === true} time_window=${windowHours}h workers=${workers}`);
    if (dryRun) {
      await this.#dryRun(parameters.deleteUntagged === true, w, report, log);
    } else {
      if (parameters.deleteUntagged === true) await this.#deleteUntagged(w, report, log);
      await this.#removeLinks(w, report, log);
      await this.#sweepBlobs(w, workers, report, log);
      await this.#purgeUploads(w, report, log);
      await this.#walkStorage(w, report, log);
    }
    report.durationMs = Date.now() - started;
    log(
      `gc ${dryRun ? "dry run " : ""}done in ${report.durationMs} ms: manifests=${report.manifestsDeleted} links=${report.linksRemoved} ` +
        `blobs=${report.blobsDeleted} bytes=${report.bytesFreed} uploads=${report.uploadsPurged} ` +
        `orphan_files=${report.orphanBlobFiles} orphan_uploads=${report.orphanUploadDirs} skipped_busy=${report.skippedBusy}`,
    );
    return report;
  }

  // ---- step 1: untagged manifests -------------------------------------------------------------

  /** Untagged, old, no parent index, no live subject (one pass; SQL shared with the dry run). */
  async #untaggedCandidates(w: number, afterId: bigint): Promise<{ id: bigint; repository: string; digest: string; size: bigint }[]> {
    return this.#db.$queryRaw`
      SELECT m.id, r.name AS repository, m.digest, m.size FROM manifests m JOIN repositories r ON r.id = m.repository_id
      WHERE m.id > ${afterId}
        AND m.pushed_at < now() - make_interval(secs => ${w})
        AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)
        AND NOT EXISTS (SELECT 1 FROM manifest_references mr WHERE mr.child_manifest_id = m.id)
        AND NOT EXISTS (SELECT 1 FROM manifests s WHERE s.repository_id = m.repository_id AND s.digest = m.subject_digest)
      ORDER BY m.id LIMIT ${this.#batch}`;
  }

  async #deleteUntagged(w: number, report: GcReport, log: GcLog): Promise<void> {
    // Deleting an index frees its children, deleting a subject frees its referrers: repeat.
    for (let pass = 1; pass <= 20; pass++) {
      let deleted = 0;
      let cursor = 0n;
      for (;;) {
        const rows = await this.#untaggedCandidates(w, cursor);
        if (rows.length === 0) break;
        cursor = rows[rows.length - 1]!.id;
        for (const row of rows) {
          if (await this.#manifests.deleteIfUnused(row.repository, row.digest as Digest, w, GC_ACTOR)) {
            deleted++;
            log(`deleted untagged manifest ${row.repository}@${row.digest}`, "item");
          }
        }
      }
      report.manifestsDeleted += deleted;
      if (deleted === 0) break;
    }
    log(`step 1 (untagged manifests): ${report.manifestsDeleted} deleted`);
  }

  // ---- step 2: repository links no manifest of the repository references ----------------------

  async #removeLinks(w: number, report: GcReport, log: GcLog): Promise<void> {
    let cursorRepo = 0;
    let cursorDigest = "";
    for (;;) {
      const result = await this.#db.$transaction(async (tx) => {
        // Lock the candidates of the next slice of the primary key (skipping rows a push, mount
        // or upload holds; a fixed slice for the reason given at #markBatch)...
        const slice = await tx.$queryRaw<{ last_repo: number; last_digest: string; repos: number[]; digests: string[] }[]>`
          WITH slice AS MATERIALIZED (
            SELECT repository_id, blob_digest, created_at FROM repository_blobs WHERE (repository_id, blob_digest) > (${cursorRepo}, ${cursorDigest})
            ORDER BY repository_id, blob_digest LIMIT ${SLICE}),
          locked AS (
            SELECT rb.repository_id, rb.blob_digest FROM repository_blobs rb JOIN blobs b ON b.digest = rb.blob_digest
            WHERE (rb.repository_id, rb.blob_digest) IN (SELECT repository_id, blob_digest FROM slice WHERE created_at < now() - make_interval(secs => ${w}))
              AND rb.created_at < now() - make_interval(secs => ${w})
              AND b.updated_at < now() - make_interval(secs => ${w})
              AND NOT EXISTS (SELECT 1 FROM manifest_references mr JOIN manifests m ON m.id = mr.manifest_id
                              WHERE m.repository_id = rb.repository_id AND mr.digest = rb.blob_digest)
            ORDER BY rb.repository_id, rb.blob_digest
            FOR UPDATE OF rb, b SKIP LOCKED)
          SELECT l.repository_id AS last_repo, l.blob_digest AS last_digest, k.repos, k.digests
          FROM (SELECT repository_id, blob_digest FROM slice ORDER BY repository_id DESC, blob_digest DESC LIMIT 1) l
          CROSS JOIN (SELECT ARRAY(SELECT repository_id FROM locked) AS repos, ARRAY(SELECT blob_digest FROM locked) AS digests) k`;
        const found = slice[0];
        if (found === undefined) return undefined;
        const last = { repository_id: found.last_repo, blob_digest: found.last_digest };
        if (found.repos.length === 0) return { last, removed: 0 };
        // ...then re-check in a new statement (new snapshot): pushes that committed between the
        // first statement's snapshot and our lock are visible now; later ones wait for us.
        const repos = found.repos;
        const digests = found.digests;
        const still = await tx.$queryRaw<{ repository_id: number; blob_digest: string }[]>`
          SELECT rb.repository_id, rb.blob_digest FROM repository_blobs rb JOIN blobs b ON b.digest = rb.blob_digest
          JOIN unnest(${repos}::int[], ${digests}::text[]) AS x(repository_id, blob_digest)
            ON x.repository_id = rb.repository_id AND x.blob_digest = rb.blob_digest
          WHERE rb.created_at < now() - make_interval(secs => ${w})
            AND b.updated_at < now() - make_interval(secs => ${w})
            AND NOT EXISTS (SELECT 1 FROM manifest_references mr JOIN manifests m ON m.id = mr.manifest_id
                            WHERE m.repository_id = rb.repository_id AND mr.digest = rb.blob_digest)`;
        const byRepo = new Map<number, string[]>();
        for (const s of still) {
          const ds = byRepo.get(s.repository_id);
          if (ds) ds.push(s.blob_digest);
          else byRepo.set(s.repository_id, [s.blob_digest]);
        }
        let removed = 0;
        for (const [repositoryId, ds] of byRepo) removed += await releaseLinks(tx, repositoryId, ds);
        if (removed > 0) await this.#hooks.afterUnlink?.(still.map((s) => ({ repositoryId: s.repository_id, digest: s.blob_digest })));
        return { last, removed };
      }, { timeout: this.#sweepTimeoutMs, maxWait: 30_000 });
      if (result === undefined) break;
      report.linksRemoved += result.removed;
      cursorRepo = result.last.repository_id;
      cursorDigest = result.last.blob_digest;
    }
    log(`step 2 (unreferenced repository links): ${report.linksRemoved} removed`);
  }

  // ---- step 3: blobs nothing links or references ----------------------------------------------

  async #sweepBlobs(w: number, workers: number, report: GcReport, log: GcLog): Promise<void> {
    // The next batch is marked while this one is swept (the statements of one overlap the file
    // deletes of the other); marking never depends on sweeping: `digest > cursor`.
    const mark = (cursor: string) => {
      const p = this.#markBatch(cursor, w);
      p.catch(() => {}); // handled where awaited (not an unhandled rejection while a sweep runs)
      return p;
    };
    let next = mark("");
    try {
      for (;;) {
        const marked = await next;
        if (marked === undefined) break;
        next = mark(marked.last);
        if (marked.marked.length === 0) continue;
        await this.#hooks.afterMark?.(marked.marked);
        // Sweep in groups of SWEEP_GROUP, `workers` groups at a time.
        const groups: Digest[][] = [];
        for (let i = 0; i < marked.marked.length; i += SWEEP_GROUP) groups.push(marked.marked.slice(i, i + SWEEP_GROUP));
        await Promise.all(
          Array.from({ length: workers }, async () => {
            for (let g = groups.shift(); g !== undefined; g = groups.shift()) {
              const swept = await this.#sweepGroup(g);
              report.skippedBusy += g.length - swept.length;
              for (const { digest, size } of swept) {
                report.blobsDeleted++;
                report.bytesFreed += size;
                log(`deleted blob ${digest} (${size} bytes)`, "item");
              }
            }
          }),
        );
      }
    } catch (err) {
      await next.catch(() => {}); // settled before the error leaves the run
      throw err;
    }
    log(`step 3 (unreferenced blobs): ${report.blobsDeleted} deleted, ${report.bytesFreed} bytes freed`);
  }

  /**
   * Marks the candidates among the next {@link SLICE} rows after `cursor` in digest order (a slice of
   * the primary key, whatever the rows are): lock, re-check in a new statement, set `deleting`,
   * commit. `undefined` past the last row; `last` is the slice's last digest (the next cursor).
   *
   * A fixed slice, not "the next 500 candidates": what that query cost depended on the
   * planner's guess of how many blobs are old. Right after many blobs became garbage (a mass
   * delete, or seeded orphans) the statistics still say none is, and PostgreSQL read every old
   * row and sorted them for each batch — at 100,000 orphans among 500,000 blobs, most of a run
   * (docs/performance.md). A slice by primary key costs the same whatever the statistics say, and
   * the whole table is read once per run; only a slice's old rows are looked up again (locked,
   * and checked for links and references).
   */
  async #markBatch(cursor: string, w: number): Promise<{ last: string; marked: Digest[] } | undefined> {
    return this.#db.$transaction(async (tx) => {
      const slice = await tx.$queryRaw<{ last: string | null; digests: string[] }[]>`
        WITH slice AS MATERIALIZED (SELECT digest, status, updated_at FROM blobs WHERE digest > ${cursor} ORDER BY digest LIMIT ${SLICE}),
        locked AS (
          SELECT b.digest FROM blobs b
          WHERE b.digest = ANY(ARRAY(SELECT digest FROM slice WHERE status = 'deleting' OR updated_at < now() - make_interval(secs => ${w})))
            AND (b.status = 'deleting' OR b.updated_at < now() - make_interval(secs => ${w}))
            AND NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.blob_digest = b.digest)
            AND NOT EXISTS (SELECT 1 FROM manifest_references mr WHERE mr.digest = b.digest)
          ORDER BY b.digest
          FOR UPDATE SKIP LOCKED)
        SELECT (SELECT max(digest) FROM slice) AS last, ARRAY(SELECT digest FROM locked) AS digests`;
      const last = slice[0]?.last ?? null;
      if (last === null) return undefined;
      const digests = slice[0]!.digests;
      if (digests.length === 0) return { last, marked: [] };
      const rows = await tx.$queryRaw<{ digest: string }[]>`
        UPDATE blobs b SET status = 'deleting'
        WHERE b.digest = ANY(${digests}::text[])
          AND (b.status = 'deleting' OR b.updated_at < now() - make_interval(secs => ${w}))
          AND NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.blob_digest = b.digest)
          AND NOT EXISTS (SELECT 1 FROM manifest_references mr WHERE mr.digest = b.digest)
        RETURNING b.digest`;
      return { last, marked: rows.map((r) => r.digest as Digest) };
    });
  }

  /**
   * Deletes a group of `deleting` blobs in one transaction: under `FOR UPDATE` (which an upload of
   * the same digest also takes; busy ones are skipped), re-checked in a statement after the locks
   * that sets a blob used again back to `none` and deletes the other rows, then their content (one
   * {@link StorageDriver.deleteFiles} call), then commit. A failure (or a crash) rolls the rows
   * back: they stay `deleting` (invisible) for the next run, with or without their content.
   * Returns the blobs deleted with their sizes. One transaction per group instead of per blob: the
   * commit and round trips, not the file deletes, were most of the time (docs/performance.md).
   */
  async #sweepGroup(digests: Digest[]): Promise<{ digest: Digest; size: number }[]> {
    return this.#db.$transaction(
      async (tx) => {
        const locked = await tx.$queryRaw<{ digest: string }[]>`
          SELECT digest FROM blobs WHERE digest = ANY(${digests}::text[]) AND status = 'deleting'
          ORDER BY digest FOR UPDATE SKIP LOCKED`;
        if (locked.length === 0) return [];
        // Nothing can link or reference a `deleting` blob (pushes and mounts ignore it, an upload
        // revives it first); re-checked anyway, in a statement after the locks: the rows still
        // unused are deleted (uncommitted until their content is gone), the others revived.
        const deleted = await tx.$queryRaw<{ digest: string; size: bigint }[]>`
          WITH locked AS (SELECT unnest(${locked.map((l) => l.digest)}::text[]) AS digest),
          used AS (
            UPDATE blobs b SET status = 'none' FROM locked l
            WHERE b.digest = l.digest
              AND (EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.blob_digest = b.digest)
                OR EXISTS (SELECT 1 FROM manifest_references mr WHERE mr.digest = b.digest))
            RETURNING b.digest)
          DELETE FROM blobs b USING locked l
          WHERE b.digest = l.digest AND NOT EXISTS (SELECT 1 FROM used u WHERE u.digest = b.digest)
          RETURNING b.digest, b.size`;
        const doomed = deleted.map((d) => ({ digest: d.digest as Digest, size: Number(d.size) }));
        if (doomed.length === 0) return [];
        await this.#driver.deleteFiles(doomed.map((d) => blobDataPath(d.digest)));
        for (const d of doomed) await this.#hooks.afterContentDelete?.(d.digest);
        return doomed;
      },
      { timeout: this.#sweepTimeoutMs, maxWait: 30_000 },
    );
  }

  async #deleteContent(digest: Digest): Promise<void> {
    const dir = blobDataPath(digest).replace(/\/data$/, "");
    try {
      await this.#driver.delete(dir);
    } catch (err) {
      if (!(err instanceof PathNotFoundError)) throw err;
    }
  }

  // ---- step 4: stale upload sessions ----------------------------------------------------------

  #uploadIdleSeconds(w: number): number {
    return Math.max(w, this.#uploadMinIdleHours * 3600);
  }

  async #purgeUploads(w: number, report: GcReport, log: GcLog): Promise<void> {
    const idle = this.#uploadIdleSeconds(w);
    for (;;) {
      const ids = await this.#db.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<{ id: string }[]>`
          SELECT id::text AS id FROM upload_sessions WHERE updated_at < now() - make_interval(secs => ${idle})
          ORDER BY updated_at LIMIT ${this.#batch} FOR UPDATE SKIP LOCKED`;
        if (rows.length === 0) return [];
        const ids = rows.map((r) => r.id);
        await tx.$executeRaw`DELETE FROM upload_sessions WHERE id = ANY(${ids}::uuid[])`;
        return ids;
      });
      if (ids.length === 0) break;
      // Rows first, then files: a crash in between leaves a directory the storage walk removes.
      for (const id of ids) await this.#driver.delete(uploadDirectory(id)).catch(() => {});
      report.uploadsPurged += ids.length;
    }
    log(`step 4 (stale upload sessions, idle > ${idle / 3600} h): ${report.uploadsPurged} purged`);
  }

  // ---- step 5: storage walk -------------------------------------------------------------------

  /**
   * Blob files older than the window that have no `blobs` row, in batches. The walk stops at each
   * blob's directory (`/blobs/<algorithm>/<xx>/<hex>`, `"skipDir"`): its name is the digest,
   * checked against the rows `LOOKUP_BATCH` at a time, and only a directory with no row is looked
   * into (its data file's size and age). Walking into every directory cost two more file-system
   * calls per live blob: most of a big registry's GC (docs/performance.md).
   */
  async #orphanFiles(w: number, onBatch: (files: BlobFile[]) => Promise<void>): Promise<void> {
    const cutoff = Date.now() - w * 1000;
    let batch: { digest: Digest; path: string }[] = [];
    const flush = async () => {
      const candidates = batch;
      batch = [];
      const known = new Set(
        (await this.#db.$queryRaw<{ digest: string }[]>`SELECT digest FROM blobs WHERE digest = ANY(${candidates.map((c) => c.digest)}::text[])`).map((r) => r.digest),
      );
      const files: BlobFile[] = [];
      for (const c of candidates) {
        if (known.has(c.digest)) continue;
        const info = await this.#driver.stat(`${c.path}/data`).catch((err: unknown) => (err instanceof PathNotFoundError ? undefined : Promise.reject(err)));
        if (info !== undefined && !info.isDir && info.modTime.getTime() <= cutoff) files.push({ digest: c.digest, size: info.size, modTime: info.modTime });
      }
      if (files.length > 0) await onBatch(files);
    };
    try {
      await this.#driver.walk("/blobs", async (info) => {
        const m = info.isDir ? DIGEST_DIRECTORY.exec(info.path) : null;
        if (m === null) return undefined;
        batch.push({ digest: `${m[1]}:${m[2]}` as Digest, path: info.path });
        if (batch.length >= LOOKUP_BATCH) await flush();
        return "skipDir";
      });
    } catch (err) {
      if (!(err instanceof PathNotFoundError)) throw err;
    }
    if (batch.length > 0) await flush();
  }

  async #walkStorage(w: number, report: GcReport, log: GcLog): Promise<void> {
    await this.#orphanFiles(w, async (files) => {
      for (const f of files) {
        // Claim the digest with a placeholder row: an upload of the same digest in progress
        // (row inserted, not committed) makes us wait and then skip; one that starts after us
        // waits for our commit. The placeholder goes with the file.
        const deleted = await this.#db.$transaction(
          async (tx) => {
            const claimed = await tx.$queryRaw<{ digest: string }[]>`
              INSERT INTO blobs (digest, size, status, updated_at) VALUES (${f.digest}, ${f.size}, 'deleting', now())
              ON CONFLICT (digest) DO NOTHING RETURNING digest`;
            if (claimed.length === 0) return false;
            await this.#deleteContent(f.digest);
            await tx.$executeRaw`DELETE FROM blobs WHERE digest = ${f.digest}`;
            return true;
          },
          { timeout: this.#sweepTimeoutMs, maxWait: 30_000 },
        );
        if (deleted) {
          report.orphanBlobFiles++;
          report.bytesFreed += f.size;
          log(`deleted orphan blob file ${f.digest} (${f.size} bytes)`, "item");
        }
      }
    });
    for (const dir of await this.#orphanUploadDirs(w)) {
      await this.#driver.delete(uploadDirectory(dir)).catch(() => {});
      report.orphanUploadDirs++;
    }
    log(`step 5 (storage walk): ${report.orphanBlobFiles} orphan blob files, ${report.orphanUploadDirs} orphan upload directories`);
  }

  /** Upload directories without a session row, idle longer than the upload threshold. */
  async #orphanUploadDirs(w: number): Promise<string[]> {
    const entries = await this.#driver.list("/uploads").catch(() => [] as string[]);
    const cutoff = Date.now() - this.#uploadIdleSeconds(w) * 1000;
    // Uploads that are only an unfinished writer (S3: no object yet, only the writer's state and
    // its multipart upload) are invisible to `list`; the driver names them, with their age.
    const unfinished = new Map<string, Date>();
    for (const f of (await this.#driver.unfinishedWrites?.("/uploads").catch(() => [])) ?? []) {
      const id = f.path.split("/")[2];
      if (id !== undefined && UUID.test(id) && (unfinished.get(id) ?? new Date(0)) < f.modTime) unfinished.set(id, f.modTime);
    }
    const ids = [...new Set([...entries.map((p) => p.slice(p.lastIndexOf("/") + 1)), ...unfinished.keys()])].filter((id) => UUID.test(id));
    if (ids.length === 0) return [];
    const live = new Set((await this.#db.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM upload_sessions WHERE id = ANY(${ids}::uuid[])`).map((r) => r.id));
    const out: string[] = [];
    for (const id of ids) {
      if (live.has(id)) continue;
      // A session row is written before its directory, so a directory without a row is dead —
      // or a monolithic upload (`POST ?digest=`, no session row) still streaming: the age check
      // (at least the upload idle threshold) keeps the walk from taking those, and from racing a
      // cancel/purge that is still deleting a directory.
      const info = await this.#driver.stat(uploadDirectory(id)).catch(() => undefined);
      const modTime = [info?.modTime, unfinished.get(id)].reduce<Date | undefined>((a, b) => (b && (!a || b > a) ? b : a), undefined);
      if (modTime !== undefined && modTime.getTime() <= cutoff) out.push(id);
    }
    return out;
  }

  // ---- dry run --------------------------------------------------------------------------------

  async #dryRun(deleteUntagged: boolean, w: number, report: GcReport, log: GcLog): Promise<void> {
    if (deleteUntagged) {
      let cursor = 0n;
      for (;;) {
        const rows = await this.#untaggedCandidates(w, cursor);
        if (rows.length === 0) break;
        cursor = rows[rows.length - 1]!.id;
        for (const r of rows) log(`would delete untagged manifest ${r.repository}@${r.digest}`, "item");
        report.manifestsDeleted += rows.length;
      }
    }
    const links = await this.#db.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM repository_blobs rb JOIN blobs b ON b.digest = rb.blob_digest
      WHERE rb.created_at < now() - make_interval(secs => ${w}) AND b.updated_at < now() - make_interval(secs => ${w})
        AND NOT EXISTS (SELECT 1 FROM manifest_references mr JOIN manifests m ON m.id = mr.manifest_id
                        WHERE m.repository_id = rb.repository_id AND mr.digest = rb.blob_digest)`;
    report.linksRemoved = Number(links[0]!.n);
    // Blobs referenced by no manifest, old, and every link of which step 2 would remove.
    const blobs = await this.#db.$queryRaw<{ digest: string; size: bigint }[]>`
      SELECT b.digest, b.size FROM blobs b
      WHERE (b.status = 'deleting' OR b.updated_at < now() - make_interval(secs => ${w}))
        AND NOT EXISTS (SELECT 1 FROM manifest_references mr WHERE mr.digest = b.digest)
        AND NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.blob_digest = b.digest
                        AND rb.created_at >= now() - make_interval(secs => ${w}))
      ORDER BY b.digest`;
    for (const b of blobs) log(`would delete blob ${b.digest} (${b.size} bytes)`, "item");
    report.blobsDeleted = blobs.length;
    report.bytesFreed = blobs.reduce((sum, b) => sum + Number(b.size), 0);
    const uploads = await this.#db.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM upload_sessions WHERE updated_at < now() - make_interval(secs => ${this.#uploadIdleSeconds(w)})`;
    report.uploadsPurged = Number(uploads[0]!.n);
    await this.#orphanFiles(w, async (files) => {
      for (const f of files) {
        report.orphanBlobFiles++;
        report.bytesFreed += f.size;
        log(`would delete orphan blob file ${f.digest} (${f.size} bytes)`, "item");
      }
    });
    report.orphanUploadDirs = (await this.#orphanUploadDirs(w)).length;
    log(
      `dry run: would delete ${report.manifestsDeleted} untagged manifests (first pass), ${report.linksRemoved} links, ` +
        `${report.blobsDeleted} blobs, ${report.uploadsPurged} upload sessions; ${report.bytesFreed} bytes`,
    );
  }
}
