/**
 * Helpers for storage tests: deterministic test data, hashing and RSS measurement.
 */
import { createHash, randomBytes } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const BLOCK = randomBytes(1024 * 1024);

/** Fill `target` with the deterministic content of chunk `index` (changes per index). */
export function fillChunk(target: Buffer, index: number): Buffer {
  for (let offset = 0; offset < target.length; offset += BLOCK.length) {
    BLOCK.copy(target, offset, 0, Math.min(BLOCK.length, target.length - offset));
  }
  if (target.length >= 8) target.writeDoubleBE(index, 0);
  return target;
}

/** Fresh buffers of deterministic content, `total` bytes in chunks of `chunkSize`. */
export async function* testData(total: number, chunkSize = 256 * 1024, seed = 0): AsyncGenerator<Buffer> {
  for (let done = 0, i = 0; done < total; i++) {
    const size = Math.min(chunkSize, total - done);
    yield fillChunk(Buffer.allocUnsafe(size), seed * 1e6 + i);
    done += size;
  }
}

/** Concatenate a (small) stream into one buffer. */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** sha256 hex and byte count of a stream, using Node's crypto. */
export async function sha256Of(source: AsyncIterable<Uint8Array>, onChunk?: (bytes: number) => void): Promise<{ hex: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of source) {
    hash.update(chunk);
    size += chunk.byteLength;
    onChunk?.(chunk.byteLength);
  }
  return { hex: hash.digest("hex"), size };
}

/** sha256 hex of a buffer. */
export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

let gcFunction: (() => void) | undefined;

/** Run a full garbage collection (exposing `gc` on first use). */
export function collectGarbage(): void {
  if (!gcFunction) {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  }
  gcFunction();
}

/** Memory growth while `fn` ran, sampled by a timer and by every `sample()` call. */
export interface RssMeasurement<T> {
  result: T;
  /** RSS after a full GC before `fn` started, in bytes. */
  baseline: number;
  /** Highest RSS seen while `fn` ran, in bytes. */
  peak: number;
  /** `peak - baseline`: resident set growth, in bytes. */
  growth: number;
  /**
   * Growth of live JS memory (V8 heap plus external memory such as Buffers), in bytes. Unlike
   * RSS it does not hide behind memory the allocator kept from earlier work.
   */
  jsGrowth: number;
}

function jsMemory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** Options of {@link measureRssGrowth}. */
export interface RssOptions {
  /**
   * Run a full GC each time `sample(bytes)` has been told this many more bytes went through, so
   * the peak reflects what the code holds rather than garbage V8 has not collected yet (V8 lets
   * up to ~64 MB of dead Buffers pile up before it collects them). Off by default.
   */
  gcEveryBytes?: number;
}

/**
 * Measure how far RSS (and live JS memory) rise above their post-GC baseline while `fn` runs.
 * `fn` should call `sample(bytes)` as data flows (bytes: how many went through since the last call).
 */
export async function measureRssGrowth<T>(
  fn: (sample: (bytes?: number) => void) => Promise<T>,
  options: RssOptions = {},
): Promise<RssMeasurement<T>> {
  collectGarbage();
  const baseline = process.memoryUsage.rss();
  const jsBaseline = jsMemory();
  let peak = baseline;
  let jsPeak = jsBaseline;
  let sinceGc = 0;
  const sample = (bytes = 0): void => {
    sinceGc += bytes;
    if (options.gcEveryBytes !== undefined && sinceGc >= options.gcEveryBytes) {
      sinceGc = 0;
      collectGarbage();
    }
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
    const js = jsMemory();
    if (js > jsPeak) jsPeak = js;
  };
  const timer = setInterval(sample, 5);
  try {
    const result = await fn(sample);
    sample();
    return { result, baseline, peak, growth: peak - baseline, jsGrowth: jsPeak - jsBaseline };
  } finally {
    clearInterval(timer);
  }
}

/** Bytes as MiB with one decimal, for messages. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
