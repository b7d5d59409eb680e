// A 2 GiB blob streamed up (one PATCH of 2 GiB, then PUT ?digest=) and down (GET, hashed and
// checked), while the registry's resident memory is sampled: a streaming registry's memory
// stays flat; one that buffers grows by gigabytes. Reported: the growth of the peak over the
// resident size just before, and the throughputs (informational, no target).
import { RssSampler } from "../rss.js";
import type { Target } from "../targets.js";
import { MiB, randomBytesOf, seconds, type Context } from "./common.js";

export const BIG_SIZE = 2 * 1024 * MiB;
const PIECE = MiB;

/** 2 GiB from an 8 MiB random pattern; each 1 MiB piece is stamped with its index (no two alike). */
async function* bigSource(pattern: Buffer, signal: AbortSignal): AsyncGenerator<Buffer> {
  const pieces = BIG_SIZE / PIECE;
  const perPattern = pattern.length / PIECE;
  for (let i = 0; i < pieces; i++) {
    if (signal.aborted) throw new Error("interrupted");
    const piece = Buffer.from(pattern.subarray((i % perPattern) * PIECE, (i % perPattern + 1) * PIECE));
    piece.writeUInt32BE(i, 0);
    yield piece;
  }
}

export interface BigBlobResult {
  baselineMiB: number;
  peakMiB: number;
  growthMiB: number;
  uploadMiBps: number;
  downloadMiBps: number;
}

export async function bigBlob(target: Target, ctx: Context): Promise<BigBlobResult> {
  const pid = target.registryPid();
  if (pid === undefined) throw new Error("the registry's PID is unknown");
  const repo = await target.repo("bench/big");
  const pattern = randomBytesOf(8 * MiB);
  const sampler = new RssSampler(pid, 50);
  sampler.start();
  try {
    await new Promise((r) => setTimeout(r, 200));
    const baseline = sampler.sample();
    sampler.reset();
    let started = process.hrtime.bigint();
    const digest = await repo.pushBlobStreamed(bigSource(pattern, ctx.signal), BIG_SIZE);
    const uploadMiBps = BIG_SIZE / MiB / seconds(started);
    started = process.hrtime.bigint();
    const got = await repo.getBlob(digest, true);
    const downloadMiBps = BIG_SIZE / MiB / seconds(started);
    if (got.bytes !== BIG_SIZE || got.digest !== digest) {
      throw new Error(`GET returned ${got.bytes} bytes with ${got.digest}, expected ${BIG_SIZE} with ${digest}`);
    }
    sampler.sample();
    return {
      baselineMiB: baseline / MiB,
      peakMiB: sampler.peak / MiB,
      growthMiB: Math.max(0, sampler.peak - baseline) / MiB,
      uploadMiBps,
      downloadMiBps,
    };
  } finally {
    sampler.stop();
  }
}
