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
import type { PrismaClient } from "@berth/db";
import { digestAlgorithm, type Digest } from "@berth/oci";
import { RunningHashCache, type FileWriter, type RunningSha256, type StorageDriver } from "@berth/storage";
import type { BlobInfo } from "./blob-store.js";
import { ensureRepositoryId } from "./db.js";
import { DigestMismatchError, RangeInvalidError, SizeInvalidError, UploadUnknownError } from "./errors.js";
import { blobDataPath, uploadDataPath, uploadDirectory } from "./paths.js";
import { chargeBlobs, precheckBlob } from "./quota-store.js";

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
  prisma: PrismaClient;
  driver: StorageDriver;
  /** Longest time the closing transaction may hold the blob row while moving content (ms). */
  commitTimeoutMs?: number;
}

interface SessionRow {
  id: string;
  repository_id: number;
  offset: bigint;
  hash_state: Uint8Array | null;
  storage_path: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Starts, feeds, completes and cancels blob uploads. */
export class UploadStore {
  readonly #prisma: PrismaClient;
  readonly #driver: StorageDriver;
  readonly #commitTimeoutMs: number;
  /** Running hashes of this process's sessions, so a session's next chunk need not re-hash. */
  readonly #hashes = new RunningHashCache();

  constructor(options: UploadStoreOptions) {
    this.#prisma = options.prisma;
    this.#driver = options.driver;
    this.#commitTimeoutMs = options.commitTimeoutMs ?? 15 * 60_000;
  }

  /** Opens a new session in `repository` (created when missing). */
  async start(repository: string): Promise<UploadSession> {
    const repositoryId = await ensureRepositoryId(this.#prisma, repository);
    const id = randomUUID();
    await this.#prisma.$executeRaw`
      INSERT INTO upload_sessions (id, repository_id, "offset", storage_path, updated_at)
      VALUES (${id}::uuid, ${repositoryId}, 0, ${uploadDataPath(id)}, now())`;
    return { id, repository, offset: 0 };
  }

  /** @throws {UploadUnknownError} */
  async status(repository: string, id: string): Promise<UploadSession> {
    const row = await this.#load(repository, id);
    return { id, repository, offset: Number(row.offset) };
  }

  /**
   * Appends a chunk. The chunk must start at the session's offset.
   *
   * @throws {UploadUnknownError} | {RangeInvalidError} | {SizeInvalidError}
   */
  async append(repository: string, id: string, source: AsyncIterable<Uint8Array>, chunk: ChunkOptions = {}): Promise<UploadSession> {
    const row = await this.#load(repository, id);
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
    const row = await this.#load(repository, id);
    const { writer, hash } = await this.#write(row, source ?? [], chunk);
    const size = writer.size;
    let actual: string;
    try {
      actual = await this.#digestOf(row, digest, hash, size);
    } catch (err) {
      await writer.close();
      throw err;
    }
    if (actual !== digest) {
      await writer.close();
      await this.#saveProgress(row, size, hash);
      throw new DigestMismatchError(digest, actual);
    }
    this.#hashes.drop(row.id);
    await writer.commit();
    await this.#publish(row, digest, size);
    return { digest, size, mediaType: undefined };
  }

  /** A whole blob in one request (`POST …/uploads/?digest=`): a session opened and completed at once. */
  async uploadMonolithic(repository: string, digest: Digest, source: AsyncIterable<Uint8Array>, length?: number): Promise<BlobInfo> {
    const session = await this.start(repository);
    try {
      return await this.complete(repository, session.id, digest, source, { start: 0, length });
    } catch (err) {
      await this.cancel(repository, session.id).catch(() => {});
      throw err;
    }
  }

  /** Cancels a session and drops its bytes. @throws {UploadUnknownError} */
  async cancel(repository: string, id: string): Promise<void> {
    const row = await this.#load(repository, id);
    this.#hashes.drop(row.id);
    await this.#prisma.$executeRaw`DELETE FROM upload_sessions WHERE id = ${row.id}::uuid`;
    await this.#driver.delete(uploadDirectory(id)).catch(() => {});
  }

  async #load(repository: string, id: string): Promise<SessionRow> {
    if (!UUID.test(id)) throw new UploadUnknownError(id);
    const rows = await this.#prisma.$queryRaw<SessionRow[]>`
      SELECT s.id::text AS id, s.repository_id, s."offset", s.hash_state, s.storage_path
      FROM upload_sessions s JOIN repositories r ON r.id = s.repository_id
      WHERE s.id = ${id}::uuid AND r.name = ${repository}`;
    const row = rows[0];
    if (row === undefined) throw new UploadUnknownError(id);
    return row;
  }

  /**
   * Streams `source` onto the session's bytes and into the running hash. On failure, what was
   * stored is recorded (so a status request reports it) and the writer is closed.
   */
  async #write(row: SessionRow, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, chunk: ChunkOptions): Promise<{ writer: FileWriter; hash: RunningSha256 }> {
    const writer = await this.#driver.writer(row.storage_path, { append: true });
    let hash: RunningSha256 | undefined;
    try {
      const offset = writer.size;
      if (chunk.start !== undefined && chunk.start !== offset) throw new RangeInvalidError(offset, chunk.start);
      hash = await this.#restoreHash(row, offset);
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
      await this.#saveProgress(row, writer.size, hash).catch(() => {});
      throw err;
    }
  }

  /** The running hash of the `size` stored bytes: this process's (caught up), else re-hashed. */
  async #restoreHash(row: SessionRow, size: number): Promise<RunningSha256> {
    return this.#hashes.take(row.id, this.#driver, row.storage_path, size);
  }

  async #saveProgress(row: SessionRow, size: number, hash: RunningSha256 | undefined): Promise<void> {
    // Kept only when it covers exactly the stored bytes; otherwise the next chunk re-hashes them.
    if (hash !== undefined && hash.size === size) this.#hashes.put(row.id, hash);
    else this.#hashes.drop(row.id);
    const state = null;
    await this.#prisma.$executeRaw`
      UPDATE upload_sessions SET "offset" = ${size}, hash_state = ${state}, updated_at = now()
      WHERE id = ${row.id}::uuid`;
  }

  /** The digest of the stored bytes in `expected`'s algorithm (sha512 re-reads the bytes). */
  async #digestOf(row: SessionRow, expected: Digest, hash: RunningSha256, size: number): Promise<string> {
    const algorithm = digestAlgorithm(expected);
    if (algorithm === "sha256") return `sha256:${await hash.hex()}`;
    const h = createHash(algorithm);
    if (size > 0) {
      for await (const data of await this.#driver.reader(row.storage_path, { offset: 0, length: size })) h.update(data as Buffer);
    }
    return `${algorithm}:${h.digest("hex")}`;
  }

  async #publish(row: SessionRow, digest: Digest, size: number): Promise<void> {
    const target = blobDataPath(digest);
    await this.#prisma.$transaction(
      async (tx) => {
        // Takes (or waits for) the blob row lock GC holds while deleting content.
        const upserted = await tx.$queryRaw<{ inserted: boolean }[]>`
          INSERT INTO blobs (digest, size, status, updated_at) VALUES (${digest}, ${size}, 'none', now())
          ON CONFLICT (digest) DO UPDATE SET updated_at = now(), status = 'none', size = excluded.size
          RETURNING (xmax = 0) AS inserted`;
        // Quota: refuse before moving content when the blob is new to the project and cannot fit.
        await precheckBlob(tx, row.repository_id, digest, size);
        let present = false;
        if (!upserted[0]!.inserted) {
          present = await this.#driver.stat(target).then(
            (info) => !info.isDir && info.size === size,
            () => false,
          );
        }
        if (!present) {
          await this.#driver.move(row.storage_path, target);
        }
        await tx.$executeRaw`
          INSERT INTO repository_blobs (repository_id, blob_digest) VALUES (${row.repository_id}, ${digest})
          ON CONFLICT DO NOTHING`;
        await tx.$executeRaw`DELETE FROM upload_sessions WHERE id = ${row.id}::uuid`;
        // Usage counted in the same transaction as the link; the quota row lock is taken last.
        await chargeBlobs(tx, row.repository_id, [{ digest, size }]);
      },
      { timeout: this.#commitTimeoutMs, maxWait: 30_000 },
    );
    await this.#driver.delete(uploadDirectory(row.id)).catch(() => {});
  }
}
