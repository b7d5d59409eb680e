/**
 * One blob from source to destination, never whole in memory: skipped when the destination has
 * it (HEAD), mounted when the destination has it in another repository this process knows of,
 * else streamed — in one request, or with `copy_by_chunk` in chunks whose acknowledged offset is
 * saved after each one (`replication_uploads`), so the next attempt continues from there. The
 * bytes pass the policy's speed limit and are counted once the destination acknowledged them.
 */
import { pipeline } from "node:stream";
import type { RequestBody } from "@berth/distribution-client";
import type { Destination, Source, UploadHandle } from "./adapters/adapter.js";
import type { ResumeStore } from "./resume-store.js";
import { speedLimit } from "./throttle.js";

/** Where the destination already has a blob (destination key + digest → repository). */
export class MountHints {
  readonly #map = new Map<string, string>();
  constructor(private readonly limit = 50_000) {}
  get(destination: string, digest: string): string | undefined {
    return this.#map.get(`${destination} ${digest}`);
  }
  set(destination: string, digest: string, repository: string): void {
    if (this.#map.size >= this.limit) this.#map.delete(this.#map.keys().next().value!);
    this.#map.set(`${destination} ${digest}`, repository);
  }
}

export interface CopyContext {
  source: Source;
  destination: Destination;
  srcRepo: string;
  dstRepo: string;
  signal: AbortSignal;
  taskId: bigint;
  /** Bytes per second per stream, or undefined for no limit. */
  speed: number | undefined;
  /** Chunk size with `copy_by_chunk`, else undefined (one request per blob). */
  chunkSize: number | undefined;
  uploads: ResumeStore;
  mounts: MountHints;
  log(line: string): Promise<void>;
  /** Bytes that reached the destination. */
  addBytes(n: number): Promise<void>;
}

export type BlobOutcome = "present" | "mounted" | "copied";

export async function copyBlob(ctx: CopyContext, blob: { digest: string; size: number }): Promise<BlobOutcome> {
  const { destination: dst, dstRepo, signal } = ctx;
  if (await dst.blobExists(dstRepo, blob.digest, signal)) {
    ctx.mounts.set(dst.key, blob.digest, dstRepo);
    return "present";
  }
  const from = ctx.mounts.get(dst.key, blob.digest);
  if (from && from !== dstRepo && (await dst.mountBlob(dstRepo, blob.digest, from, signal))) {
    ctx.mounts.set(dst.key, blob.digest, dstRepo);
    return "mounted";
  }
  if (ctx.chunkSize !== undefined && blob.size > 0) await chunked(ctx, blob, ctx.chunkSize);
  else {
    await dst.pushBlob(dstRepo, blob.digest, blob.size, body(ctx, blob.digest, 0, undefined), signal);
    await ctx.addBytes(blob.size);
  }
  ctx.mounts.set(dst.key, blob.digest, dstRepo);
  return "copied";
}

async function chunked(ctx: CopyContext, blob: { digest: string; size: number }, chunkSize: number): Promise<void> {
  const { destination: dst, dstRepo, signal } = ctx;
  const key = { destination: dst.key, repository: dstRepo, digest: blob.digest };
  const saved = await ctx.uploads.find(dst.key, dstRepo, blob.digest);
  let handle: UploadHandle | undefined;
  if (saved) {
    handle = await dst.uploadStatus({ repository: dstRepo, location: saved.location, offset: saved.offset }, signal);
    if (handle) await ctx.log(`resuming ${blob.digest} at byte ${handle.offset} of ${blob.size} (saved offset ${saved.offset}): only the rest is sent`);
    else await ctx.log(`the saved upload of ${blob.digest} (at byte ${saved.offset}) is gone on the destination: starting over`);
  }
  if (!handle) {
    handle = await dst.startUpload(dstRepo, signal);
    await ctx.uploads.save(key, { location: handle.location, offset: handle.offset, size: blob.size, taskId: ctx.taskId });
  }
  const startedAt = handle.offset;
  while (handle.offset < blob.size) {
    const start = handle.offset;
    const length = Math.min(chunkSize, blob.size - start);
    handle = await dst.uploadChunk(handle, length, body(ctx, blob.digest, start, length), signal);
    if (handle.offset <= start) throw new Error(`the destination acknowledged no progress on ${blob.digest} at byte ${start}`);
    await ctx.uploads.save(key, { location: handle.location, offset: handle.offset, size: blob.size, taskId: ctx.taskId });
    await ctx.addBytes(handle.offset - start);
  }
  await dst.completeUpload(handle, blob.digest, signal);
  await ctx.uploads.delete(key);
  await ctx.log(`copied ${blob.digest} in chunks of ${chunkSize} bytes: sent bytes ${startedAt}-${blob.size - 1} (${blob.size - startedAt} of ${blob.size}) in this attempt`);
}

/** A body that can be sent again: each call opens the source's range afresh. */
function body(ctx: CopyContext, digest: string, offset: number, length: number | undefined): RequestBody {
  return async () => {
    const source = await ctx.source.openBlob(ctx.srcRepo, digest, { offset, length }, ctx.signal);
    return ctx.speed === undefined ? source : pipeline(source, speedLimit(ctx.speed), () => undefined);
  };
}
