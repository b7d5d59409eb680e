/**
 * Project storage quotas (Harbor's `quota` / `quota_usage` / `project_blob`).
 *
 * A repository belongs to the project named by its first path segment (`p/a/b` → project `p`);
 * projects cannot be renamed, so that never changes. A repository whose project does not exist is
 * outside quota accounting (the token service grants nothing there, so the registry never sees
 * such pushes; tests of the registry alone push without projects).
 *
 * Usage counts a blob ONCE per project: `project_blobs` holds one row per (project, blob) while any
 * repository of the project links the blob, with the size counted. A project's usage is
 * `project_quotas.used_storage` plus its pending `project_usage_deltas` rows. Both change in the
 * SAME transaction as the `repository_blobs` links that cause them, so usage never drifts:
 *
 * - a project WITH a limit is charged under `SELECT … FOR UPDATE` on its `project_quotas` row:
 *   concurrent pushes into it serialize on that row for the last statements and the commit of
 *   their transactions, and cannot overshoot the limit;
 * - a project WITHOUT a limit (Harbor's default) is charged by appending a delta row, so nothing
 *   serializes its pushes on one row until their commits. The charge holds `FOR KEY SHARE` on the
 *   `projects` row and reads the limit under it; setting a limit takes `FOR UPDATE` on that row
 *   first ({@link lockProjectLimit}), so a limit comes into force only after every delta charge
 *   in flight has committed — and the limited path counts pending deltas;
 * - {@link QuotaStore.fold} moves deltas into `used_storage` (the registry does it every second).
 *
 * A blob's `project_blobs` row is locked by whoever counts it (`ON CONFLICT … DO UPDATE … WHERE
 * false` locks an existing row) and by an unlink before it re-checks the links in a new
 * statement, so an unlink and a push of the same blob into another repository of the project
 * always see each other.
 *
 * Lock order: the quota row comes after `blobs` rows and `repository_blobs` links; `project_blobs`
 * rows after the quota row when a transaction takes both. Neither takes part in a deadlock cycle
 * with GC or pushes.
 *
 * Manifest bytes (kept in Postgres) are not counted; only blobs (configs and layers) are.
 */
import { writeEvent, type Db } from "./db.js";
import { RegistryStoreError } from "./errors.js";
import type { SqlDatabase } from "@berth/db/sql";

/** A push (upload completion or mount) would take the project over its storage limit. */
export class QuotaExceededError extends RegistryStoreError {
  constructor(
    readonly project: string,
    /** Bytes the project would use after the push. */
    readonly wouldUse: number,
    /** The project's limit in bytes. */
    readonly limit: number,
  ) {
    super(`quota exceeded: project "${project}" would use ${formatBytes(wouldUse)} of its ${formatBytes(limit)} limit`, {
      project,
      wouldUse,
      limit,
    });
  }
}

/** `1536` → `1.5 KiB`; bytes below 1 KiB as `N B`. */
export function formatBytes(bytes: number): string {
  const units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The project a repository belongs to. */
export interface RepositoryProject {
  id: number;
  name: string;
  /** Bytes; -1 unlimited. */
  storageLimit: number;
}

/** The project of repository `repositoryId` (by its name's first segment), or `undefined`. */
export async function projectOfRepository(db: Db, repositoryId: number): Promise<RepositoryProject | undefined> {
  const rows = await db.$queryRaw<{ id: number; name: string; storage_limit: bigint }[]>`
    SELECT p.id, p.name, p.storage_limit FROM repositories r JOIN projects p ON p.name = split_part(r.name, '/', 1)
    WHERE r.id = ${repositoryId}`;
  const row = rows[0];
  return row === undefined ? undefined : { id: row.id, name: row.name, storageLimit: Number(row.storage_limit) };
}

/** Takes `FOR UPDATE` on the project's usage row (creating it at 0 the first time). */
async function lockUsage(db: Db, projectId: number): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const locked = await db.$queryRaw<unknown[]>`SELECT 1 FROM project_quotas WHERE project_id = ${projectId}::int FOR UPDATE`;
    if (locked.length > 0) return;
    await db.$executeRaw`INSERT INTO project_quotas (project_id, used_storage, updated_at) VALUES (${projectId}::int, 0, now()) ON CONFLICT DO NOTHING`;
  }
  throw new Error(`project_quotas row of project ${projectId} vanished`);
}

/**
 * Call in the transaction that changes a project's storage limit, before changing it: waits for
 * every charge in flight that read the old limit (they hold `FOR KEY SHARE` on the row).
 */
export async function lockProjectLimit(tx: Db, projectId: number): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM projects WHERE id = ${projectId}::int FOR UPDATE`;
}

/** `blobs` without repeated digests, in digest order (row locks are taken in that order). */
function distinctBlobs(blobs: readonly { digest: string; size: number }[]): { digests: string[]; sizes: string[] } {
  const byDigest = new Map(blobs.map((b) => [b.digest, b.size]));
  const digests = [...byDigest.keys()].sort();
  return { digests, sizes: digests.map((d) => String(byDigest.get(d))) };
}

/**
 * Charges blobs just linked into repository `repositoryId` to its project's usage: blobs new to
 * the project add their size, blobs the project already counts add nothing. Call it in the
 * transaction that inserted the links, after inserting them. `project` skips the project lookup
 * when the caller already has it (`null`: no project).
 *
 * A project without a limit: one statement, no quota row lock (a delta row; see the module's
 * comment). With a limit: the quota row lock, then the check and the update.
 *
 * @throws {QuotaExceededError} when the project would go over its limit (roll the links back).
 */
export async function chargeBlobs(
  db: Db,
  repositoryId: number,
  blobs: readonly { digest: string; size: number }[],
  project?: RepositoryProject | null,
): Promise<void> {
  if (blobs.length === 0) return;
  const owner = project === undefined ? await projectOfRepository(db, repositoryId) : (project ?? undefined);
  if (owner === undefined) return;
  const { digests, sizes } = distinctBlobs(blobs);
  if (owner.storageLimit >= 0) return chargeLimited(db, repositoryId, digests, sizes, owner);
  const rows = await db.$queryRaw<{ storage_limit: bigint | null }[]>`
    WITH p AS MATERIALIZED (SELECT storage_limit FROM projects WHERE id = ${owner.id}::int FOR KEY SHARE),
    pb AS (
      INSERT INTO project_blobs (project_id, blob_digest, size)
      SELECT ${owner.id}::int, d, s FROM unnest(${digests}::text[], ${sizes}::bigint[]) AS x(d, s)
      WHERE EXISTS (SELECT 1 FROM p WHERE p.storage_limit < 0)
      ORDER BY d
      ON CONFLICT (project_id, blob_digest) DO UPDATE SET size = project_blobs.size WHERE false
      RETURNING size),
    dl AS (
      INSERT INTO project_usage_deltas (project_id, delta)
      SELECT ${owner.id}::int, sum(size) FROM pb HAVING sum(size) > 0
      RETURNING 1)
    SELECT (SELECT storage_limit FROM p) AS storage_limit, (SELECT count(*) FROM dl) AS charged`;
  const limit = rows[0]?.storage_limit;
  // No row: the project is gone, nothing to account. A limit set since the caller looked: the
  // limited path (the statement above changed nothing then).
  if (limit !== null && limit !== undefined && limit >= 0n) {
    await chargeLimited(db, repositoryId, digests, sizes, { ...owner, storageLimit: Number(limit) });
  }
}

/** The limited path of {@link chargeBlobs}: the quota row lock, then — a fresh snapshot — the check and the charge. */
async function chargeLimited(db: Db, repositoryId: number, digests: string[], sizes: string[], owner: RepositoryProject): Promise<void> {
  await lockUsage(db, owner.id);
  // A new statement after the lock: it sees every charge and fold that committed while we waited.
  // The `project_blobs` insert and the usage update run only when the limit allows all of it.
  const rows = await db.$queryRaw<{ used: bigint; lim: bigint | null; added: bigint; charged: bigint }[]>`
    WITH cur AS MATERIALIZED (
      SELECT q.used_storage + coalesce((SELECT sum(delta) FROM project_usage_deltas d WHERE d.project_id = q.project_id), 0)::bigint AS used,
             (SELECT storage_limit FROM projects WHERE id = q.project_id) AS lim
      FROM project_quotas q WHERE q.project_id = ${owner.id}::int),
    new AS MATERIALIZED (
      SELECT x.d, x.s FROM unnest(${digests}::text[], ${sizes}::bigint[]) AS x(d, s)
      WHERE NOT EXISTS (SELECT 1 FROM project_blobs pb WHERE pb.project_id = ${owner.id}::int AND pb.blob_digest = x.d)),
    fits AS MATERIALIZED (
      SELECT t.added, (cur.lim IS NULL OR cur.lim < 0 OR cur.used + t.added <= cur.lim) AS ok
      FROM (SELECT coalesce(sum(s), 0)::bigint AS added FROM new) AS t, cur),
    ins AS (
      INSERT INTO project_blobs (project_id, blob_digest, size)
      SELECT ${owner.id}::int, d, s FROM new WHERE (SELECT ok FROM fits) ORDER BY d
      ON CONFLICT DO NOTHING RETURNING size),
    upd AS (
      UPDATE project_quotas p SET used_storage = p.used_storage + (SELECT coalesce(sum(size), 0) FROM ins), updated_at = now()
      WHERE p.project_id = ${owner.id}::int AND (SELECT ok FROM fits) AND (SELECT added FROM fits) > 0
      RETURNING 1)
    SELECT cur.used, cur.lim, fits.added, (SELECT count(*) FROM upd)::bigint AS charged FROM cur, fits`;
  const r = rows[0]!;
  const added = Number(r.added);
  const used = Number(r.used);
  const limit = r.lim === null ? owner.storageLimit : Number(r.lim);
  if (added > 0 && Number(r.charged) === 0) throw new QuotaExceededError(owner.name, used + added, limit);
  const threshold = limit * QUOTA_WARNING_RATIO;
  if (added > 0 && limit > 0 && used < threshold && used + added >= threshold) {
    // Crossing the warning line is recorded with the charge that crossed it (same transaction).
    await writeEvent(db, "quota.warning", {
      repository: await repositoryName(db, repositoryId),
      digest: digests[digests.length - 1]!,
      details: `project "${owner.name}" uses ${mib(used + added)} of its ${mib(limit)} limit (warning at ${QUOTA_WARNING_RATIO * 100} %)`,
    });
  }
}

/**
 * THE quota-aware unlink: removes the links of `digests` from repository `repositoryId` and
 * releases, in the caller's transaction `tx`, the usage of every blob no other repository of the
 * same project still links. Returns the digests whose link was removed. GC, `blobs.unlink`
 * (blob DELETE) and repository deletes all unlink through here, so usage never drifts
 * (GC.md race 6). Takes the project's quota row lock after deleting the links (last lock).
 */
export async function unlinkBlobs(tx: Db, repositoryId: number, digests: readonly string[]): Promise<string[]> {
  if (digests.length === 0) return [];
  const removed = await tx.$queryRaw<{ blob_digest: string }[]>`
    DELETE FROM repository_blobs WHERE repository_id = ${repositoryId} AND blob_digest = ANY(${[...digests]}::text[])
    RETURNING blob_digest`;
  const removedDigests = removed.map((r) => r.blob_digest);
  if (removedDigests.length === 0) return [];
  const project = await projectOfRepository(tx, repositoryId);
  if (project === undefined) return removedDigests;
  await lockUsage(tx, project.id);
  // Wait for a push counting one of these blobs through another repository (it holds the row),
  // then re-check the links in a new statement, which sees that push's link once committed.
  await tx.$queryRaw`
    SELECT 1 FROM project_blobs WHERE project_id = ${project.id} AND blob_digest = ANY(${[...removedDigests].sort()}::text[])
    ORDER BY blob_digest FOR UPDATE`;
  const rows = await tx.$queryRaw<{ freed: bigint }[]>`
    WITH del AS (
      DELETE FROM project_blobs pb
      WHERE pb.project_id = ${project.id} AND pb.blob_digest = ANY(${removedDigests}::text[])
        AND NOT EXISTS (
          SELECT 1 FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
          WHERE rb.blob_digest = pb.blob_digest AND split_part(r.name, '/', 1) = ${project.name})
      RETURNING size)
    SELECT coalesce(sum(size), 0)::bigint AS freed FROM del`;
  const freed = Number(rows[0]!.freed);
  if (freed > 0) {
    await tx.$executeRaw`UPDATE project_quotas SET used_storage = used_storage - ${freed}, updated_at = now() WHERE project_id = ${project.id}`;
  }
  return removedDigests;
}

/** Reads and checks project usage. */
export class QuotaStore {
  readonly #db: SqlDatabase;

  constructor(options: { db: SqlDatabase }) {
    this.#db = options.db;
  }

  /** Stored usage (bytes) of each project id (0 when it has none). */
  async usage(projectIds: readonly number[]): Promise<Map<number, number>> {
    const result = new Map<number, number>(projectIds.map((id) => [id, 0]));
    if (projectIds.length === 0) return result;
    // One statement, one snapshot: a delta is either still pending or already folded, never both.
    const rows = await this.#db.$queryRaw<{ project_id: number; used: bigint }[]>`
      SELECT ids.id AS project_id,
             coalesce((SELECT used_storage FROM project_quotas q WHERE q.project_id = ids.id), 0)
               + coalesce((SELECT sum(delta) FROM project_usage_deltas d WHERE d.project_id = ids.id), 0) AS used
      FROM unnest(${[...projectIds]}::int[]) AS ids(id)`;
    for (const r of rows) result.set(r.project_id, Number(r.used));
    return result;
  }

  /**
   * Folds every pending usage delta into its project's `used_storage`, in one statement (rows in
   * project order, so concurrent folds cannot deadlock); returns how many projects changed.
   */
  async fold(): Promise<number> {
    return foldUsage(this.#db);
  }

  /**
   * Usage recounted from scratch from the links (each distinct blob linked by any repository of
   * the project, once): what the stored usage must always equal.
   */
  async recount(projectName: string): Promise<number> {
    const rows = await this.#db.$queryRaw<{ total: bigint }[]>`
      SELECT coalesce(sum(b.size), 0)::bigint AS total FROM blobs b
      WHERE b.digest IN (
        SELECT rb.blob_digest FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
        WHERE split_part(r.name, '/', 1) = ${projectName})`;
    return Number(rows[0]!.total);
  }

  /** Drops a deleted project's usage rows (call in the project delete's transaction). */
  static async forgetProject(tx: Db, projectId: number): Promise<void> {
    await tx.$executeRaw`DELETE FROM project_blobs WHERE project_id = ${projectId}`;
    await tx.$executeRaw`DELETE FROM project_usage_deltas WHERE project_id = ${projectId}`;
    await tx.$executeRaw`DELETE FROM project_quotas WHERE project_id = ${projectId}`;
  }
}

/** Share of a project's limit whose crossing raises a `quota.warning` event (Harbor's 85 %). */
export const QUOTA_WARNING_RATIO = 0.85;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function repositoryName(db: Db, repositoryId: number): Promise<string> {
  const rows = await db.$queryRaw<{ name: string }[]>`SELECT name FROM repositories WHERE id = ${repositoryId}::int`;
  return rows[0]?.name ?? "";
}

/**
 * Records a refused push as a `quota.exceeded` outbox event (webhook QUOTA_EXCEED). Written on its
 * own, after the push's transaction rolled back: the event is about the refusal itself.
 */
export async function recordQuotaExceeded(db: Db, err: QuotaExceededError, repository: string | number, digest: string): Promise<void> {
  await writeEvent(db, "quota.exceeded", {
    repository: typeof repository === "string" ? repository : await repositoryName(db, repository),
    digest,
    details: err.message,
  });
}

/** See {@link QuotaStore.fold}. */
export async function foldUsage(db: Db): Promise<number> {
  const rows = await db.$queryRaw<{ project_id: number }[]>`
    WITH d AS (DELETE FROM project_usage_deltas RETURNING project_id, delta),
    s AS (SELECT project_id, sum(delta)::bigint AS total FROM d GROUP BY project_id)
    INSERT INTO project_quotas (project_id, used_storage, updated_at)
    SELECT project_id, total, now() FROM s ORDER BY project_id
    ON CONFLICT (project_id) DO UPDATE SET used_storage = project_quotas.used_storage + excluded.used_storage, updated_at = now()
    RETURNING project_id`;
  return rows.length;
}
