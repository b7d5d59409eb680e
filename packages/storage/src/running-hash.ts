/**
 * A fast running sha256 (node:crypto, i.e. OpenSSL with SHA extensions: several times faster
 * than hash-wasm) plus a small per-process cache of the running hashes of upload sessions.
 *
 * node:crypto's state cannot be saved, so an upload session keeps its running hash in the memory
 * of the process that received its last chunk. A chunk that arrives at that process continues the
 * hash at once; one that arrives at another process (or after a restart) catches up by hashing
 * the stored bytes it has not seen — from its own older entry when it has one, else from the
 * start — and from then on that process is warm too. The stored bytes are the truth: a cached
 * hash is only ever used when its byte count is at most what is stored.
 */
import { createHash, type Hash } from "node:crypto";
import type { StorageDriver } from "./driver.js";
import { Sha256 } from "./hashing.js";

/**
 * The running hash of an upload session: node:crypto's (fast; re-hashed from the stored bytes
 * when another process takes the session) where the driver can read bytes not yet committed, the
 * savable hash-wasm one otherwise (S3: the parts of an open multipart upload cannot be read back,
 * so the state itself must travel with the session row).
 */
export type UploadHash = RunningSha256 | Sha256;

/** Thrown when an upload's running hash can be neither found, restored nor re-hashed. */
export class HashStateLostError extends Error {
  constructor(readonly path: string) {
    super(`the running hash of ${path} is lost and the driver cannot re-read unfinished uploads`);
    this.name = "HashStateLostError";
  }
}

/** A fresh running hash of the kind `driver` needs (see {@link UploadHash}). */
export async function createUploadHash(driver: StorageDriver): Promise<UploadHash> {
  return driver.readsUnfinishedWrites ? RunningSha256.create() : Sha256.create();
}

/** An incremental sha256 over a byte stream; `size` counts the bytes hashed. */
export class RunningSha256 {
  #hash: Hash;
  #size: number;

  private constructor(hash: Hash, size: number) {
    this.#hash = hash;
    this.#size = size;
  }

  /** A fresh hash of zero bytes. */
  static create(): RunningSha256 {
    return new RunningSha256(createHash("sha256"), 0);
  }

  /** Bytes hashed so far. */
  get size(): number {
    return this.#size;
  }

  /** Add bytes. */
  update(chunk: Uint8Array): this {
    this.#hash.update(chunk);
    this.#size += chunk.byteLength;
    return this;
  }

  /** Hex digest of the bytes so far; the hash stays usable (the digest is taken on a copy). */
  async hex(): Promise<string> {
    return this.#hash.copy().digest("hex");
  }

  /** node:crypto's state cannot be saved: always `null` (see {@link RunningHashCache}). */
  save(): null {
    return null;
  }

  /**
   * Hash the stored bytes of `path` from `this.size` up to `upTo` (streaming, 1 MiB reads).
   * @throws {RangeError} when fewer bytes are stored.
   */
  async catchUp(driver: StorageDriver, path: string, upTo: number): Promise<this> {
    if (upTo < this.#size) throw new RangeError(`cannot rewind a running hash from ${this.#size} to ${upTo} bytes`);
    if (upTo === this.#size) return this;
    const stream = await driver.reader(path, { offset: this.#size, length: upTo - this.#size });
    for await (const chunk of stream as AsyncIterable<Buffer>) this.update(chunk);
    if (this.#size !== upTo) throw new RangeError(`${path} holds ${this.#size} bytes, fewer than the ${upTo} to hash`);
    return this;
  }
}

/**
 * Running hashes of upload sessions by session id, at most `limit` (oldest dropped first). An
 * entry is taken out while a request uses it, so two requests never share one.
 */
export class RunningHashCache {
  readonly #entries = new Map<string, UploadHash>();

  constructor(private readonly limit = 4096) {}

  /**
   * The running hash of the first `size` stored bytes of `path`: the cached one when it covers
   * them, else the `saved` state when it does, else (drivers that read unfinished writes) the
   * cached or a fresh node:crypto hash caught up from the stored bytes.
   * @throws {HashStateLostError} when none of these can give it.
   */
  async take(id: string, driver: StorageDriver, path: string, size: number, saved?: Uint8Array | null): Promise<UploadHash> {
    const cached = this.#entries.get(id);
    this.#entries.delete(id);
    if (cached !== undefined && cached.size === size) return cached;
    if (size === 0) return createUploadHash(driver);
    if (saved) {
      const restored = await Sha256.restore(saved).catch(() => undefined);
      if (restored?.size === size) return restored;
    }
    if (!driver.readsUnfinishedWrites) throw new HashStateLostError(path);
    const base = cached instanceof RunningSha256 && cached.size <= size ? cached : RunningSha256.create();
    return base.catchUp(driver, path, size);
  }

  /** Keep `hash` for the session's next chunk (it must cover exactly the stored bytes). */
  put(id: string, hash: UploadHash): void {
    this.#entries.delete(id);
    this.#entries.set(id, hash);
    if (this.#entries.size > this.limit) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** Forget a session (completed or cancelled). */
  drop(id: string): void {
    this.#entries.delete(id);
  }

  get size(): number {
    return this.#entries.size;
  }
}
