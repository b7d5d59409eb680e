// What every workload shares: the metric and workload shapes, random data, a bounded worker pool.
import { randomFillSync } from "node:crypto";
import type { Target } from "../targets.js";

export const MiB = 1024 * 1024;

export interface Metric {
  key: string;
  label: string;
  unit: string;
  /** false for latency and memory: the ratio is then Distribution/Berth. */
  higherIsBetter: boolean;
  /** Minimum ratio (Berth vs Distribution, oriented so higher is better), when there is a target. */
  target?: number;
  decimals?: number;
}

export interface Context {
  /** Scratch directory of this run (wrk scripts and the like). */
  tmpDir: string;
  log: (line: string) => void;
  /** Aborted on Ctrl-C: long loops stop early. */
  signal: AbortSignal;
}

export interface Workload {
  name: string;
  metrics: Metric[];
  /** Runs against the sink too: push-side workloads only (the sink keeps no content to serve). */
  sink?: boolean;
  /**
   * One measurement on one target. Preparation (data, tokens, seed images) happens inside but is
   * never timed. Returns a value per metric key; throws when the target failed the workload.
   */
  run(target: Target, round: number, ctx: Context): Promise<Record<string, number>>;
}

/** Fresh random bytes (uncompressible, unique per call). */
export function randomBytesOf(size: number, into?: Buffer): Buffer {
  const buf = into && into.length === size ? into : Buffer.allocUnsafe(size);
  return randomFillSync(buf);
}

/**
 * Runs `count` tasks with `concurrency` workers; stops taking new tasks at `deadline` (ms since
 * epoch) or on abort. The first error fails the whole pool (after the running tasks settle).
 * Returns how many tasks completed.
 */
export async function pool(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
  options: { deadline?: number; signal?: AbortSignal } = {},
): Promise<number> {
  let next = 0;
  let done = 0;
  let failure: unknown;
  const worker = async () => {
    for (;;) {
      if (failure !== undefined || options.signal?.aborted) return;
      if (options.deadline !== undefined && Date.now() > options.deadline) return;
      const i = next++;
      if (i >= count) return;
      try {
        await task(i);
        done++;
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure !== undefined) throw failure;
  if (options.signal?.aborted) throw new Error("interrupted");
  return done;
}

export function seconds(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}
