/**
 * Project storage quotas (Harbor's `quota` / `quota_usage` / `project_blob`).
 *
 * A repository belongs to the project named by its first path segment (`p/a/b` → project `p`);
 * projects cannot be renamed, so that never changes. A repository whose project does not exist is
 * outside quota accounting (the token service grants nothing there, so the registry never sees
 * such pushes; tests of the registry alone push without projects).
 *
 * Usage counts a blob ONCE per project: `project_blobs` holds one row per (project, blob) while any
 * repository of the project links the blob, with the size counted; `project_quotas.used_storage`
 * is the sum of those sizes. Both change in the SAME transaction as the `repository_blobs` links
 * that cause them, under `SELECT … FOR UPDATE` on the project's `project_quotas` row, so
 * concurrent pushes into one project serialize on that row for the last statements of their
 * transactions and can neither overshoot the limit nor drift.
 *
 * Lock order: the quota row is always the LAST lock a transaction takes (after `blobs` rows and
 * `repository_blobs` links), so it cannot take part in a deadlock cycle with GC or pushes.
 *
 * Manifest bytes (kept in Postgres) are not counted; only blobs (configs and layers) are.
 */
import { ensureRepositoryId, writeEvent, type Db } from "./db.js";
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

/** Takes `FOR UPDATE` on the project's usage row (creating it at 0) and returns the usage. */
async function lockUsage(db: Db, projectId: number): Promise<number> {
  await db.$executeRaw`INSERT INTO project_quotas (project_id, used_storage, updated_at) VALUES (${projectId}, 0, now()) ON CONFLICT DO NOTHING`;
  const rows = await db.$queryRaw<{ used_storage: bigint }[]>`
    SELECT used_storage FROM project_quotas WHERE project_id = ${projectId} FOR UPDATE`;
  return Number(rows[0]!.used_storage);
}

/**
 * Charges blobs just linked into repository `repositoryId` to its project's usage: blobs new to
 * the project add their size, blobs the project already counts add nothing. Call it in the
 * transaction that inserted the links, after inserting them (it takes the quota row lock last).
 * `project` skips the project lookup when the caller already has it (`null`: no project).
 *
 * One statement when the project's usage row exists (see below); the first charge of a project
 * creates the row first.
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
  const digests = blobs.map((b) => b.digest);
  const sizes = blobs.map((b) => String(b.size));
  for (let attempt = 0; ; attempt++) {
    // One statement: `FOR UPDATE` on the quota row first (the `project_blobs` insert only runs
    // once the lock is held: it depends on it), then the insert, then the usage update — which
    // only happens when the limit allows it.
    const rows = await db.$queryRaw<{ locked: bigint; used: bigint | null; added: bigint; charged: bigint }[]>`
      WITH q AS MATERIALIZED (SELECT used_storage FROM project_quotas WHERE project_id = ${owner.id}::int FOR UPDATE),
      ins AS (
        INSERT INTO project_blobs (project_id, blob_digest, size)
        SELECT ${owner.id}::int, d, s FROM unnest(${digests}::text[], ${sizes}::bigint[]) AS x(d, s)
        WHERE EXISTS (SELECT 1 FROM q)
        ON CONFLICT DO NOTHING RETURNING size),
      total AS (SELECT coalesce(sum(size), 0)::bigint AS added FROM ins),
      upd AS (
        UPDATE project_quotas p SET used_storage = p.used_storage + total.added, updated_at = now() FROM total, q
        WHERE p.project_id = ${owner.id}::int AND total.added > 0
          AND (${owner.storageLimit}::bigint < 0 OR q.used_storage + total.added <= ${owner.storageLimit}::bigint)
        RETURNING 1)
      SELECT (SELECT count(*) FROM q)::bigint AS locked, (SELECT used_storage FROM q) AS used, total.added,
             (SELECT count(*) FROM upd)::bigint AS charged
      FROM total`;
    const r = rows[0]!;
    if (Number(r.locked) === 0) {
      // The project's usage row does not exist yet: create it (at 0) and go again.
      if (attempt > 0) throw new Error(`project_quotas row of project ${owner.id} vanished`);
      await db.$executeRaw`INSERT INTO project_quotas (project_id, used_storage, updated_at) VALUES (${owner.id}::int, 0, now()) ON CONFLICT DO NOTHING`;
      continue;
    }
    const added = Number(r.added);
    if (added > 0 && Number(r.charged) === 0) throw new QuotaExceededError(owner.name, Number(r.used) + added, owner.storageLimit);
    const used = Number(r.used ?? 0);
    const threshold = owner.storageLimit * QUOTA_WARNING_RATIO;
    if (added > 0 && owner.storageLimit > 0 && used < threshold && used + added >= threshold) {
      // Crossing the warning line is recorded with the charge that crossed it (same transaction).
      await writeEvent(db, "quota.warning", {
        repository: await repositoryName(db, repositoryId),
        digest: blobs[blobs.length - 1]!.digest,
        details: `project "${owner.name}" uses ${mib(used + added)} of its ${mib(owner.storageLimit)} limit (warning at ${QUOTA_WARNING_RATIO * 100} %)`,
      });
    }
    return;
  }
}

/**
 * An early, lock-free check before an upload moves its content into place: refuses a blob that is
 * new to the project and would not fit. The authoritative check is {@link chargeBlobs}.
 *
 * @throws {QuotaExceededError}
 */
export async function precheckBlob(db: Db, repositoryId: number, digest: string, size: number): Promise<void> {
  const project = await projectOfRepository(db, repositoryId);
  if (project === undefined || project.storageLimit < 0) return;
  const rows = await db.$queryRaw<{ used: bigint; counted: boolean }[]>`
    SELECT coalesce((SELECT used_storage FROM project_quotas WHERE project_id = ${project.id}), 0)::bigint AS used,
           EXISTS (SELECT 1 FROM project_blobs WHERE project_id = ${project.id} AND blob_digest = ${digest}) AS counted`;
  const { used, counted } = rows[0]!;
  if (!counted && Number(used) + size > project.storageLimit) throw new QuotaExceededError(project.name, Number(used) + size, project.storageLimit);
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
    const rows = await this.#db.$queryRaw<{ project_id: number; used_storage: bigint }[]>`
      SELECT project_id, used_storage FROM project_quotas WHERE project_id = ANY(${[...projectIds]}::int[])`;
    for (const r of rows) result.set(r.project_id, Number(r.used_storage));
    return result;
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

  /**
   * Refuses, before any byte moves, a blob of `size` bytes that is new to the project of
   * `repository` and would not fit (the proxy cache asks before it streams from an upstream). The
   * authoritative check stays {@link chargeBlobs} at commit. Records `quota.exceeded` when it refuses.
   *
   * @throws {QuotaExceededError}
   */
  async precheck(repository: string, digest: string, size: number): Promise<void> {
    try {
      await precheckBlob(this.#db, await ensureRepositoryId(this.#db, repository), digest, size);
    } catch (err) {
      if (err instanceof QuotaExceededError) await recordQuotaExceeded(this.#db, err, repository, digest).catch(() => undefined);
      throw err;
    }
  }

  /** Drops a deleted project's usage rows (call in the project delete's transaction). */
  static async forgetProject(tx: Db, projectId: number): Promise<void> {
    await tx.$executeRaw`DELETE FROM project_blobs WHERE project_id = ${projectId}`;
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
