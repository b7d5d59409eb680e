/**
 * Streaming sha256 whose state can be saved and restored (hash-wasm), so an upload session can
 * keep its running hash next to the upload and finish in another process; plus helpers to hash
 * a stream and to re-hash stored bytes when no saved state is available.
 */
import { createSHA256, type IHasher } from "hash-wasm";
import { Transform, type TransformCallback } from "node:stream";
import type { StorageDriver } from "./driver.js";

const MAGIC = Buffer.from("BSH1", "ascii");
const HEADER = MAGIC.length + 8;

/** Thrown by {@link Sha256.restore} for bytes that are not a saved state. */
export class HashStateError extends Error {
  override name = "HashStateError";
}

/** An incremental sha256 over a byte stream; `size` counts the bytes hashed. */
export class Sha256 {
  #size: number;

  private constructor(
    private readonly hasher: IHasher,
    size: number,
  ) {
    this.#size = size;
  }

  /** A fresh hash of zero bytes. */
  static async create(): Promise<Sha256> {
    const hasher = await createSHA256();
    hasher.init();
    return new Sha256(hasher, 0);
  }

  /** Resume a hash from the bytes of {@link Sha256.save}. */
  static async restore(state: Uint8Array): Promise<Sha256> {
    const bytes = Buffer.from(state.buffer, state.byteOffset, state.byteLength);
    if (bytes.length <= HEADER || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new HashStateError("not a saved sha256 state");
    }
    const size = Number(bytes.readBigUInt64BE(MAGIC.length));
    const hasher = await createSHA256();
    try {
      hasher.load(bytes.subarray(HEADER));
    } catch (err) {
      throw new HashStateError("saved sha256 state was not made by this hash-wasm build", { cause: err });
    }
    return new Sha256(hasher, size);
  }

  /** Bytes hashed so far. */
  get size(): number {
    return this.#size;
  }

  /** Add bytes. */
  update(chunk: Uint8Array): this {
    this.hasher.update(chunk);
    this.#size += chunk.byteLength;
    return this;
  }

  /**
   * The state as bytes (a few hundred): magic, byte count, hash-wasm's state. Treat it like the
   * content: it may contain up to one block of hashed bytes.
   */
  save(): Uint8Array {
    const state = this.hasher.save();
    const out = Buffer.allocUnsafe(HEADER + state.length);
    MAGIC.copy(out, 0);
    out.writeBigUInt64BE(BigInt(this.#size), MAGIC.length);
    out.set(state, HEADER);
    return out;
  }

  /** Hex digest of the bytes so far; the hash stays usable (the digest is taken on a copy). */
  async hex(): Promise<string> {
    const copy = await createSHA256();
    copy.load(this.hasher.save());
    return copy.digest("hex");
  }

  /** A pass-through stream that hashes what flows through it. */
  tap(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) => {
        this.update(chunk);
        callback(null, chunk);
      },
    });
  }
}

/** Hash everything a stream yields. */
export async function hashStream(source: AsyncIterable<Uint8Array>): Promise<{ hex: string; size: number }> {
  const hash = await Sha256.create();
  for await (const chunk of source) hash.update(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return { hex: await hash.hex(), size: hash.size };
}

/**
 * Re-hash the first `length` bytes stored at `path` (all of them when omitted), streaming: the
 * fallback when an upload's saved hash state is missing. Returns a hash that can continue.
 */
export async function rehashStored(driver: StorageDriver, path: string, length?: number): Promise<Sha256> {
  const hash = await Sha256.create();
  if (length === 0) return hash;
  const stream = await driver.reader(path, length === undefined ? 0 : { offset: 0, length });
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  if (length !== undefined && hash.size !== length) {
    throw new RangeError(`${path} holds ${hash.size} bytes, fewer than the ${length} to hash`);
  }
  return hash;
}
