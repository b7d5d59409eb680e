/**
 * Blobs as a repository sees them: a `blobs` row plus a `repository_blobs` link, with the bytes
 * in storage at {@link blobDataPath}. Reading, unlinking and cross-repository mounts.
 *
 * GC contract (GC.md): GC deletes a blob's content and row only while holding `FOR UPDATE` on the
 * `blobs` row and after re-checking that nothing links or references it. Everything here that
 * makes a blob visible (mount) takes a row lock on that row in the same transaction, and blobs
 * whose `status` is `deleting` are treated as absent (the client uploads again).
 */
import type { Digest } from "@berth/oci";
import type { StorageDriver } from "@berth/storage";
import { ensureRepositoryId, findRepositoryId } from "./db.js";
import type { SqlDatabase } from "@berth/db/sql";
import { BlobUnknownError, NameUnknownError } from "./errors.js";
import { blobDataPath } from "./paths.js";
import { chargeBlobs, QuotaExceededError, recordQuotaExceeded, unlinkBlobs } from "./quota-store.js";
import type { Readable } from "node:stream";

/** What the registry knows about a blob. */
export interface BlobInfo {
  digest: Digest;
  size: number;
  mediaType: string | undefined;
}

/** Options of {@link BlobStore}. */
export interface BlobStoreOptions {
  db: SqlDatabase;
  driver: StorageDriver;
  /** Told after a mount charged a project (its usage delta is folded soon). */
  usage?: { touched(): void };
}

/** Reads, unlinks and mounts blobs of repositories. */
export class BlobStore {
  readonly #db: SqlDatabase;
  readonly #driver: StorageDriver;
  readonly #usage: { touched(): void } | undefined;

  constructor(options: BlobStoreOptions) {
    this.#db = options.db;
    this.#driver = options.driver;
    this.#usage = options.usage;
  }

  /**
   * The blob `digest` as linked to `repository`. A blob GC marked `delete` is taken back
   * (`none`, updated now), as Harbor does on HEAD; a `deleting` one is unknown.
   *
   * @throws {BlobUnknownError} not linked, or being deleted.
   */
  async stat(repository: string, digest: Digest): Promise<BlobInfo> {
    const rows = await this.#db.$queryRaw<{ size: bigint; media_type: string | null; status: string }[]>`
      SELECT b.size, b.media_type, b.status
      FROM repository_blobs rb
      JOIN repositories r ON r.id = rb.repository_id
      JOIN blobs b ON b.digest = rb.blob_digest
      WHERE r.name = ${repository} AND rb.blob_digest = ${digest}`;
    const row = rows[0];
    if (row === undefined || row.status === "deleting") throw new BlobUnknownError(digest);
    if (row.status === "delete") {
      const revived = await this.#db.$executeRaw`
        UPDATE blobs SET status = 'none', updated_at = now() WHERE digest = ${digest} AND status = 'delete'`;
      if (revived === 0) {
        const again = await this.#db.$queryRaw<{ status: string }[]>`SELECT status FROM blobs WHERE digest = ${digest}`;
        if (again[0]?.status !== "none") throw new BlobUnknownError(digest);
      }
    }
    return { digest, size: Number(row.size), mediaType: row.media_type ?? undefined };
  }

  /** A stream of the blob's bytes (`length` bytes from `offset`, or all of it). */
  async open(digest: Digest, range?: { offset: number; length: number }): Promise<Readable> {
    return this.#driver.reader(blobDataPath(digest), range ?? 0);
  }

  /** A URL the client can fetch the blob from directly, when the driver redirects. */
  async redirectURL(digest: Digest, method: "GET" | "HEAD"): Promise<string | undefined> {
    return this.#driver.redirectURL?.(blobDataPath(digest), { method });
  }

  /**
   * Where the front proxy can read the blob's bytes itself (the value of an `X-Accel-Redirect`),
   * when the driver is configured with such a location.
   */
  internalRedirect(digest: Digest): string | undefined {
    return this.#driver.internalRedirect?.(blobDataPath(digest));
  }

  /**
   * Removes the blob's link from the repository (the content stays for GC to collect when nothing
   * else uses it).
   *
   * @throws {BlobUnknownError} not linked.
   */
  async unlink(repository: string, digest: Digest): Promise<void> {
    await this.#db.$transaction(async (tx) => {
      const repositoryId = await findRepositoryId(tx, repository);
      // Releases the project's usage when no other repository of the project links the blob.
      const removed = repositoryId === undefined ? [] : await unlinkBlobs(tx, repositoryId, [digest]);
      if (removed.length === 0) throw new BlobUnknownError(digest);
    });
  }

  /**
   * Links blob `digest` into `repository` when it is linked to `from` (cross-repository mount),
   * or, without `from`, reports it when it is already linked to `repository`. Returns the blob,
   * or `undefined` when it cannot be mounted (the caller then starts a normal upload). Authorization
   * to pull from `from` is the caller's job.
   */
  async mount(repository: string, digest: Digest, from?: string): Promise<BlobInfo | undefined> {
    if (from === undefined || from === repository) {
      try {
        return await this.stat(repository, digest);
      } catch (err) {
        if (err instanceof BlobUnknownError) return undefined;
        throw err;
      }
    }
    try {
      const mounted = await this.#mountFrom(repository, digest, from);
      if (mounted !== undefined) this.#usage?.touched();
      return mounted;
    } catch (err) {
      if (err instanceof QuotaExceededError) await recordQuotaExceeded(this.#db, err, repository, digest).catch(() => undefined);
      throw err;
    }
  }

  async #mountFrom(repository: string, digest: Digest, from: string): Promise<BlobInfo | undefined> {
    return this.#db.$transaction(async (tx) => {
      // Locks the blob row against GC (which takes FOR UPDATE) until the link is committed.
      const rows = await tx.$queryRaw<{ size: bigint; media_type: string | null }[]>`
        SELECT b.size, b.media_type FROM blobs b
        JOIN repository_blobs rb ON rb.blob_digest = b.digest
        JOIN repositories r ON r.id = rb.repository_id
        WHERE r.name = ${from} AND b.digest = ${digest} AND b.status <> 'deleting'
        FOR SHARE OF b`;
      const row = rows[0];
      if (row === undefined) return undefined;
      const targetId = await ensureRepositoryId(tx, repository);
      await tx.$executeRaw`
        INSERT INTO repository_blobs (repository_id, blob_digest) VALUES (${targetId}, ${digest})
        ON CONFLICT DO NOTHING`;
      // Counted once per project, in the link's transaction (throws QuotaExceededError).
      await chargeBlobs(tx, targetId, [{ digest, size: Number(row.size) }]);
      return { digest, size: Number(row.size), mediaType: row.media_type ?? undefined };
    });
  }

  /** @throws {NameUnknownError} when the repository does not exist. */
  async assertRepository(repository: string): Promise<void> {
    if ((await findRepositoryId(this.#db, repository)) === undefined) throw new NameUnknownError(repository);
  }
}
