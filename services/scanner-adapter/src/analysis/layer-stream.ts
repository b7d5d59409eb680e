/**
 * One layer's files as a stream: the blob is decompressed as it arrives (gzip or zstd, told by its
 * first bytes, whatever the media type claims; an uncompressed tar passes as is) and read by
 * tar-stream, one entry at a time. Nothing holds more than the entry a detector asked for.
 */
import { once } from "node:events";
import { Readable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createZstdDecompress } from "node:zlib";
import tar from "tar-stream";

const GZIP = Buffer.from([0x1f, 0x8b]);
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** The first `n` bytes of `stream`, left in it (fewer when it ends sooner). */
async function peek(stream: Readable, n: number): Promise<Buffer> {
  for (;;) {
    const head = stream.read(n) as Buffer | null;
    if (head !== null) {
      stream.unshift(head);
      return head;
    }
    if (stream.readableEnded || stream.destroyed) return Buffer.alloc(0);
    await once(stream, "readable");
  }
}

/** The decompressor for a blob starting with `head` (none for a plain tar). */
function decompressorFor(head: Buffer): Transform[] {
  if (head.subarray(0, 2).equals(GZIP)) return [createGunzip()];
  if (head.subarray(0, 4).equals(ZSTD)) return [createZstdDecompress()];
  return [];
}

/** A tar entry handed to the visitor: its path (no leading `./` or `/`), header and content stream. */
export interface LayerEntry {
  path: string;
  header: tar.Header;
  /** The entry's bytes: iterate them once (or not at all; the walker drains what is left). */
  stream: EntryStream;
}

/** An entry's content as tar-stream hands it (a streamx stream: iterable, not a Node Readable). */
export type EntryStream = AsyncIterable<Buffer>;

/** Normalizes a tar path: `./usr/lib/x` → `usr/lib/x`; trailing slashes dropped. */
export function normalizePath(name: string): string {
  return name.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");
}

/**
 * Streams `blob` (a layer) through decompression and tar parsing, calling `visit` for each entry.
 * The visitor must consume or drain the entry's stream before its promise settles.
 */
export async function walkLayer(blob: Readable, visit: (entry: LayerEntry) => Promise<void>): Promise<void> {
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      let ended = false;
      stream.once("end", () => {
        ended = true;
      });
      visit({ path: normalizePath(header.name), header, stream: stream as unknown as EntryStream })
        .then(() => {
          if (ended) return next();
          stream.once("end", () => next());
          stream.resume();
        })
        .catch((err: unknown) => {
          extract.destroy(err as Error);
        });
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  const head = await peek(blob, 4);
  await Promise.all([pipeline([blob, ...decompressorFor(head), extract]), done]);
}

/** Reads an entry's content up to `limit` bytes (`undefined` when it is larger; the rest is read and dropped). */
export async function readEntry(stream: EntryStream, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size <= limit ? Buffer.concat(chunks) : undefined;
}

/** Reads `stream` to its end, calling `onChunk` for each chunk. */
export async function forEachChunk(stream: EntryStream, onChunk: (chunk: Buffer) => void): Promise<void> {
  for await (const chunk of stream) onChunk(chunk);
}
