/**
 * Upload sessions: bytes stream into `/uploads/<uuid>/data` while their sha256 is computed
 * (node:crypto). The offset is saved in the session row after every chunk, so the next chunk (or
 * the closing PUT) can arrive at any registry process, even after a restart; the running hash
 * stays in the memory of the process that took the chunk (`RunningHashCache`), and a process
 * without it (or with an older one) hashes the stored bytes it has not seen. The stored bytes
 * are the truth: `hash_state` is no longer written (node:crypto's state cannot be saved).
 *
 * Completing an upload verifies the digest, then — holding the `blobs` row lock that GC also
 * takes — moves the bytes into place (or drops them when the blob's content is already there),
 * links the blob into the repository and deletes the session, all in one transaction. A partial
 * blob is never visible at its final path, and a row is never committed for content that is not
 * in place (GC.md race 3).
 */
import { createHash, randomUUID } from "node:crypto";
import { sql, type SqlDatabase } from "@berth/db/sql";
import { digestAlgorithm, type Digest } from "@berth/oci";
import { HashStateLostError, RunningHashCache, createUploadHash, type FileWriter, type StorageDriver, type UploadHash } from "@berth/storage";
import type { BlobInfo } from "./blob-store.js";
import { countCreated, CREATED_COLUMNS, ON_NAME_CONFLICT, ensureRepositoryId } from "./db.js";
import { DigestMismatchError, RangeInvalidError, SizeInvalidError, UploadUnknownError } from "./errors.js";
import { blobDataPath, uploadDataPath, uploadDirectory } from "./paths.js";
import { chargeBlobs, QuotaExceededError, recordQuotaExceeded, type RepositoryProject } from "./quota-store.js";

/** Where an upload session stands. */
export interface UploadSession {
  /** The session's id (a UUID), used in `Location` and `Docker-Upload-UUID`. */
  id: string;
  repository: string;
  /** Bytes received so far; the next chunk must start here. */
  offset: number;
}

/** How a chunk was declared by the client. */
export interface ChunkOptions {
  /** Declared first byte (`Content-Range` start); checked against the session's offset. */
  start?: number | undefined;
  /** Declared length (`Content-Length` or the `Content-Range` span); checked against the bytes. */
  length?: number | undefined;
}

/** Options of {@link UploadStore}. */
export interface UploadStoreOptions {
  db: SqlDatabase;
  driver: StorageDriver;
  /** Longest time the closing transaction may hold the blob row while moving content (ms). */
  commitTimeoutMs?: number;
  /** Told when an upload appended a usage delta (quota-store.ts), to fold it soon. */
  usage?: { touched(): void };
}

interface SessionRow {
  id: string;
  repository_id: number;
  /** The row's offset (only when it was read from the row). */
  offset?: bigint;
  storage_path: string;
  /** There is a session row (false: a monolithic upload without one). */
  persisted: boolean;
  /** Taken from this process's memory: the row's existence is checked by a later statement. */
  unchecked?: boolean;
  /** The saved running hash (drivers that cannot re-read unfinished uploads, i.e. S3). */
  hash_state?: Uint8Array | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Starts, feeds, completes and cancels blob uploads. */
export class UploadStore {
  readonly #db: SqlDatabase;
  readonly #driver: StorageDriver;
  readonly #commitTimeoutMs: number;
  readonly #usage: { touched(): void } | undefined;
  /** Running hashes of this process's sessions, so a session's next chunk need not re-hash. */
  readonly #hashes = new RunningHashCache();
  /**
   * Sessions this process opened or fed, with their repository: a chunk or the closing PUT of one
   * skips the session lookup, and its session row is checked by the statement that records the
   * chunk (or deletes the session) instead — so a chunk costs one statement.
   */
  readonly #known = new KnownSessions();

  constructor(options: UploadStoreOptions) {
    this.#db = options.db;
    this.#driver = options.driver;
    this.#commitTimeoutMs = options.commitTimeoutMs ?? 15 * 60_000;
    this.#usage = options.usage;
  }

  /** Opens a new session in `repository` (created when missing): one statement. */
  async start(repository: string): Promise<UploadSession> {
    const id = randomUUID();
    const rows = await this.#db.$queryRaw<{ repository_id: number; created: boolean }[]>`
      WITH r AS (SELECT id FROM repositories WHERE name = ${repository}::text),
      created AS (
        INSERT INTO repositories (name, updated_at) SELECT ${repository}::text, now() WHERE NOT EXISTS (SELECT 1 FROM r)
        ${ON_NAME_CONFLICT}
        RETURNING ${CREATED_COLUMNS}),
      ${countCreated("created")}
      INSERT INTO upload_sessions (id, repository_id, "offset", storage_path, updated_at)
      SELECT ${id}::uuid, coalesce((SELECT id FROM r), (SELECT id FROM created)), 0, ${uploadDataPath(id)}::text, now()
      RETURNING repository_id, coalesce((SELECT inserted FROM created), false) AS created`;
    this.#known.set(id, { repository, repositoryId: rows[0]!.repository_id });
    if (rows[0]!.created) this.#usage?.touched(); // its count row, folded with the usage deltas
    return { id, repository, offset: 0 };
  }

  /** @throws {UploadUnknownError} */
  async status(repository: string, id: string): Promise<UploadSession> {
    const row = await this.#load(repository, id);
    // The stored bytes are the truth (as for append): after a crash mid-chunk the file may hold
    // more than the row's offset, and the next PATCH is accepted at the file's size. (A driver
    // whose unfinished writes are not visible to stat, e.g. S3, falls back to the row.)
    const stored = await this.#driver.stat(row.storage_path).then(
      (info) => (info.isDir ? Number(row.offset) : info.size),
      () => Number(row.offset),
    );
    return { id, repository, offset: stored };
  }

  /**
   * Appends a chunk. The chunk must start at the stored size (the session's offset).
   *
   * @throws {UploadUnknownError} | {RangeInvalidError} | {SizeInvalidError}
   */
  async append(repository: string, id: string, source: AsyncIterable<Uint8Array>, chunk: ChunkOptions = {}): Promise<UploadSession> {
    const row = await this.#session(repository, id);
    const { writer, hash } = await this.#write(row, source, chunk);
    await writer.close();
    await this.#saveProgress(row, writer.size, hash);
    return { id, repository, offset: writer.size };
  }

  /**
   * Finishes the upload with an optional last chunk, verifies `digest` and makes the blob
   * visible in the repository.
   *
   * @throws {UploadUnknownError} | {RangeInvalidError} | {SizeInvalidError} | {DigestMismatchError}
   */
  async complete(
    repository: string,
    id: string,
    digest: Digest,
    source?: AsyncIterable<Uint8Array>,
    chunk: ChunkOptions = {},
  ): Promise<BlobInfo> {
    const row = await this.#session(repository, id);
    const { writer, hash } = await this.#write(row, source ?? [], chunk);
    const size = writer.size;
    const { synced } = await this.#verify(row, digest, writer, hash, () => this.#saveProgress(row, size, hash));
    this.#hashes.drop(row.id);
    this.#known.drop(row.id);
    await this.#publish(row, digest, size, synced);
    return { digest, size, mediaType: undefined };
  }

  /**
   * A whole blob in one request (`POST …/uploads/?digest=`): no session row at all. The bytes
   * stream to `/uploads/<uuid>/data` (a directory without a session row, which GC's storage walk
   * removes only once it is older than the upload idle threshold), are verified, and are published
   * in one transaction; on any failure the directory is removed.
   */
  async uploadMonolithic(repository: string, digest: Digest, source: AsyncIterable<Uint8Array>, length?: number): Promise<BlobInfo> {
    const repositoryId = await ensureRepositoryId(this.#db, repository);
    const id = randomUUID();
    const row: SessionRow = { id, repository_id: repositoryId, storage_path: uploadDataPath(id), persisted: false };
    try {
      const { writer, hash } = await this.#write(row, source, { start: 0, length });
      const size = writer.size;
      const { synced } = await this.#verify(row, digest, writer, hash);
      await this.#publish(row, digest, size, synced);
      return { digest, size, mediaType: undefined };
    } catch (err) {
      await this.#driver.delete(uploadDirectory(id)).catch(() => {});
      throw err;
    }
  }

  /** Cancels a session and drops its bytes. @throws {UploadUnknownError} */
  async cancel(repository: string, id: string): Promise<void> {
    const row = await this.#load(repository, id);
    this.#hashes.drop(row.id);
    this.#known.drop(row.id);
    await this.#db.$executeRaw`DELETE FROM upload_sessions WHERE id = ${row.id}::uuid`;
    await this.#driver.delete(uploadDirectory(id)).catch(() => {});
  }

  /** The session: from this process's memory when it knows it (checked later), else looked up. */
  async #session(repository: string, id: string): Promise<SessionRow> {
    if (!UUID.test(id)) throw new UploadUnknownError(id);
    const known = this.#known.get(id);
    if (known !== undefined && known.repository === repository) {
      return { id, repository_id: known.repositoryId, storage_path: uploadDataPath(id), persisted: true, unchecked: true };
    }
    return this.#load(repository, id);
  }

  async #load(repository: string, id: string): Promise<SessionRow> {
    if (!UUID.test(id)) throw new UploadUnknownError(id);
    const rows = await this.#db.$queryRaw<{ id: string; repository_id: number; offset: bigint; storage_path: string; hash_state: Uint8Array | null }[]>`
      SELECT s.id::text AS id, s.repository_id, s."offset", s.storage_path, s.hash_state
      FROM upload_sessions s JOIN repositories r ON r.id = s.repository_id
      WHERE s.id = ${id}::uuid AND r.name = ${repository}`;
    const row = rows[0];
    if (row === undefined) throw new UploadUnknownError(id);
    this.#known.set(id, { repository, repositoryId: row.repository_id });
    return { id: row.id, repository_id: row.repository_id, offset: row.offset, storage_path: row.storage_path, persisted: true, hash_state: row.hash_state };
  }

  /** A session taken from memory turned out to be gone: forget it and drop what was written. */
  async #gone(row: SessionRow): Promise<never> {
    this.#hashes.drop(row.id);
    this.#known.drop(row.id);
    await this.#driver.delete(uploadDirectory(row.id)).catch(() => {});
    throw new UploadUnknownError(row.id);
  }

  /**
   * Streams `source` onto the session's bytes and into the running hash. On failure, what was
   * stored is recorded (so a status request reports it) and the writer is closed.
   */
  async #write(row: SessionRow, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, chunk: ChunkOptions): Promise<{ writer: FileWriter; hash: UploadHash }> {
    const writer = await this.#driver.writer(row.storage_path, { append: row.persisted });
    let hash: UploadHash | undefined;
    try {
      const offset = writer.size;
      if (chunk.start !== undefined && chunk.start !== offset) throw new RangeInvalidError(offset, chunk.start);
      hash = row.persisted ? await this.#restoreHash(row, offset) : await createUploadHash(this.#driver);
      let received = 0;
      for await (const data of source) {
        const bytes = typeof data === "string" ? Buffer.from(data) : data;
        received += bytes.byteLength;
        if (chunk.length !== undefined && received > chunk.length) throw new SizeInvalidError(chunk.length, received);
        await writer.write(bytes);
        hash.update(bytes);
      }
      if (chunk.length !== undefined && received !== chunk.length) throw new SizeInvalidError(chunk.length, received);
      return { writer, hash };
    } catch (err) {
      await writer.close().catch(() => {});
      if (row.persisted) {
        const saved = await this.#saveProgress(row, writer.size, hash).then(
          () => true,
          (e: unknown) => !(e instanceof UploadUnknownError),
        );
        if (!saved) throw new UploadUnknownError(row.id);
      }
      throw err;
    }
  }

  /**
   * The running hash of the `size` stored bytes: this process's, else the row's saved state, else
   * re-hashed from storage. A session whose hash can be had none of these ways (S3 without a saved
   * state) cannot continue: it is unknown, and the client starts the upload again.
   */
  async #restoreHash(row: SessionRow, size: number): Promise<UploadHash> {
    let saved = row.hash_state;
    if (saved === undefined && !this.#driver.readsUnfinishedWrites) {
      // A session known from memory whose hash another process advanced: read the saved state.
      const rows = await this.#db.$queryRaw<{ hash_state: Uint8Array | null }[]>`
        SELECT hash_state FROM upload_sessions WHERE id = ${row.id}::uuid`;
      saved = rows[0]?.hash_state;
    }
    try {
      return await this.#hashes.take(row.id, this.#driver, row.storage_path, size, saved);
    } catch (err) {
      if (err instanceof HashStateLostError) throw new UploadUnknownError(row.id);
      throw err;
    }
  }

  /**
   * Records the stored size in the session row (checking, for a session taken from memory, that
   * it still exists in its repository). @throws {UploadUnknownError} when it is gone.
   */
  async #saveProgress(row: SessionRow, size: number, hash: UploadHash | undefined): Promise<void> {
    // Kept only when it covers exactly the stored bytes; otherwise the next chunk re-hashes them.
    const current = hash !== undefined && hash.size === size ? hash : undefined;
    if (current) this.#hashes.put(row.id, current);
    else this.#hashes.drop(row.id);
    // node:crypto's state cannot be saved (null): drivers that re-read unfinished bytes re-hash.
    const state = current?.save() ?? null;
    const updated = await this.#db.$executeRaw`
      UPDATE upload_sessions SET "offset" = ${size}, hash_state = ${state === null ? null : Buffer.from(state)}, updated_at = now()
      WHERE id = ${row.id}::uuid AND repository_id = ${row.repository_id}::int`;
    if (updated === 0) await this.#gone(row);
  }

  /**
   * Checks what was stored against `digest` and returns the writer's commit (its data made
   * durable and visible at the upload path), started here, to await before the move; on a mismatch (or a failure computing
   * the digest) ends the writer, runs `onMismatch` (record the progress, so the session can go on)
   * and throws.
   *
   * sha256, the running hash's algorithm, is known without reading anything back: the commit
   * starts now and runs alongside the publishing transaction's first statements. Any other
   * algorithm the spec allows (sha512) hashes the stored bytes themselves — after the commit,
   * which is what makes every byte of this request readable at the path on every driver (the
   * filesystem writer buffers; S3 holds unfinished bytes in a multipart upload) — as Distribution
   * does for digests other than its canonical one.
   */
  async #verify(
    row: SessionRow,
    digest: Digest,
    writer: FileWriter,
    hash: UploadHash,
    onMismatch?: () => Promise<void>,
  ): Promise<{ synced: Promise<void> }> {
    const algorithm = digestAlgorithm(digest);
    let actual: string;
    try {
      if (algorithm === "sha256") {
        actual = `sha256:${await hash.hex()}`;
        if (actual === digest) {
          const synced = writer.commit();
          synced.catch(() => undefined);
          return { synced };
        }
        await writer.close();
      } else {
        await writer.commit();
        actual = await this.#rehash(row.storage_path, algorithm, writer.size);
        if (actual === digest) return { synced: Promise.resolve() };
      }
    } catch (err) {
      await writer.close().catch(() => undefined);
      throw err;
    }
    await onMismatch?.();
    throw new DigestMismatchError(digest, actual);
  }

  /** `<algorithm>:<hex>` of the first `size` bytes stored at `path` (committed). */
  async #rehash(path: string, algorithm: string, size: number): Promise<string> {
    const h = createHash(algorithm);
    if (size > 0) {
      for await (const data of await this.#driver.reader(path, { offset: 0, length: size })) h.update(data as Buffer);
    }
    return `${algorithm}:${h.digest("hex")}`;
  }

  /**
   * Makes the verified upload visible, in ONE transaction whose locks come in the GC contract's
   * order: (the session row,) the `blobs` row (upsert: waits for a GC holding `FOR UPDATE`), the
   * repository link; the content is moved into place while the blob row lock is held; the quota
   * row lock comes last. The writer's commit (`synced`, its data fsync) runs while the
   * transaction's first statements do, and completes before the move.
   */
  async #publish(row: SessionRow, digest: Digest, size: number, synced: Promise<void>): Promise<void> {
    const target = blobDataPath(digest);
    let charged = false;
    try {
      await this.#db.$transaction(
        async (tx) => {
          // One statement, its steps chained so they run in this order: the session (when there
          // is one) deleted; the blob row upserted — its row lock, waiting for a GC holding
          // `FOR UPDATE` — only when the session existed; the repository link inserted only once
          // the upsert has run; the project read under `FOR KEY SHARE` (quota-store.ts). A project
          // without a limit is charged right here (its `project_blobs` row, a usage delta: no
          // quota row lock); for one with a limit the statement reads its usage for the early
          // check (refuse before moving content when the blob is new to the project and cannot
          // fit), and `chargeBlobs` charges it after the move. No row: the session is gone.
          const session = row.persisted
            ? sql`DELETE FROM upload_sessions WHERE id = ${row.id}::uuid AND repository_id = ${row.repository_id}::int RETURNING 1`
            : sql`SELECT 1`;
          const checked = await tx.$queryRaw<
            { inserted: boolean; project_id: number | null; project_name: string | null; storage_limit: bigint | null; used: bigint | null; counted: boolean | null; charged: bigint }[]
          >`
            WITH s AS MATERIALIZED (${session}),
            up AS (
              INSERT INTO blobs (digest, size, status, updated_at)
              SELECT ${digest}::text, ${size}::bigint, 'none', now() WHERE EXISTS (SELECT 1 FROM s)
              ON CONFLICT (digest) DO UPDATE SET updated_at = now(), status = 'none', size = excluded.size
              RETURNING (xmax = 0) AS inserted),
            link AS (
              INSERT INTO repository_blobs (repository_id, blob_digest)
              SELECT ${row.repository_id}::int, ${digest}::text WHERE EXISTS (SELECT 1 FROM up)
              ON CONFLICT DO NOTHING RETURNING 1),
            p AS MATERIALIZED (
              SELECT p.id, p.name, p.storage_limit FROM repositories r JOIN projects p ON p.name = split_part(r.name, '/', 1)
              WHERE r.id = ${row.repository_id}::int AND EXISTS (SELECT 1 FROM up)
              FOR KEY SHARE OF p),
            pb AS (
              INSERT INTO project_blobs (project_id, blob_digest, size)
              SELECT p.id, ${digest}::text, ${size}::bigint FROM p WHERE p.storage_limit < 0
              ON CONFLICT (project_id, blob_digest) DO UPDATE SET size = project_blobs.size WHERE false
              RETURNING project_id, size),
            dl AS (INSERT INTO project_usage_deltas (project_id, delta) SELECT project_id, size FROM pb RETURNING 1)
            SELECT up.inserted, p.id AS project_id, p.name AS project_name, p.storage_limit,
                   CASE WHEN p.storage_limit >= 0 THEN
                     coalesce((SELECT used_storage FROM project_quotas q WHERE q.project_id = p.id), 0)
                     + coalesce((SELECT sum(delta) FROM project_usage_deltas d WHERE d.project_id = p.id), 0) END AS used,
                   CASE WHEN p.storage_limit >= 0 THEN
                     EXISTS (SELECT 1 FROM project_blobs pb2 WHERE pb2.project_id = p.id AND pb2.blob_digest = ${digest}::text) END AS counted,
                   (SELECT count(*) FROM link) AS linked, (SELECT count(*) FROM dl) AS charged
            FROM up LEFT JOIN p ON true`;
          if (checked[0] === undefined) throw new UploadUnknownError(row.id);
          const c = checked[0]!;
          charged = Number(c.charged) > 0;
          const project: RepositoryProject | null =
            c.project_id === null ? null : { id: c.project_id, name: c.project_name!, storageLimit: Number(c.storage_limit) };
          if (project !== null && project.storageLimit >= 0 && !c.counted && Number(c.used ?? 0) + size > project.storageLimit) {
            throw new QuotaExceededError(project.name, Number(c.used ?? 0) + size, project.storageLimit);
          }
          let present = false;
          if (!c.inserted) {
            present = await this.#driver.stat(target).then(
              (info) => !info.isDir && info.size === size,
              () => false,
            );
          }
          await synced;
          if (!present) {
            await this.#driver.move(row.storage_path, target);
          }
          // A project with a limit: charged in the same transaction as the link, the quota row
          // lock taken last (unlimited projects were charged by the statement above).
          if (project !== null && project.storageLimit >= 0) await chargeBlobs(tx, row.repository_id, [{ digest, size }], project);
        },
        { timeout: this.#commitTimeoutMs, maxWait: 30_000 },
      );
    } catch (err) {
      await synced.catch(() => undefined);
      if (err instanceof UploadUnknownError && row.persisted) await this.#gone(row);
      if (err instanceof QuotaExceededError) await recordQuotaExceeded(this.#db, err, row.repository_id, digest).catch(() => undefined);
      throw err;
    }
    if (charged) this.#usage?.touched();
    await this.#driver.delete(uploadDirectory(row.id)).catch(() => {});
  }
}

/** Sessions known to this process (id → repository), at most `limit`, oldest dropped first. */
class KnownSessions {
  readonly #entries = new Map<string, { repository: string; repositoryId: number }>();
  constructor(private readonly limit = 4096) {}
  get(id: string): { repository: string; repositoryId: number } | undefined {
    return this.#entries.get(id);
  }
  set(id: string, value: { repository: string; repositoryId: number }): void {
    this.#entries.delete(id);
    this.#entries.set(id, value);
    if (this.#entries.size > this.limit) this.#entries.delete(this.#entries.keys().next().value!);
  }
  drop(id: string): void {
    this.#entries.delete(id);
  }
}
