// Latency of one request shape: N requests with C in flight over keep-alive connections, each
// checked (status, and what the caller checks in the body); p50/p95/p99/max in milliseconds.
import type { HttpClient } from "../../support/oci-client.js";

export interface LatencyStats {
  requests: number;
  concurrency: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function percentiles(samples: number[], concurrency: number): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    requests: s.length,
    concurrency,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    max: round(s[s.length - 1]!),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

export interface Probe {
  path: string;
  headers: Record<string, string>;
  /** Throws when the answer is wrong (not just slow). */
  check?: (status: number, body: Buffer, headers: Record<string, unknown>) => void;
}

/** `count` requests (after `warmup` unmeasured ones), `concurrency` at a time; `probe(i)` gives the i-th. */
export async function measure(http: HttpClient, probe: (i: number) => Probe, count: number, concurrency: number, warmup = 5): Promise<LatencyStats> {
  const one = async (i: number): Promise<number> => {
    const p = probe(i);
    const start = process.hrtime.bigint();
    const res = await http.send({ method: "GET", path: p.path, headers: p.headers, expect: [200], timeoutMs: 60_000 });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    p.check?.(res.status, res.body, res.headers as Record<string, unknown>);
    return ms;
  };
  for (let i = 0; i < warmup; i++) await one(i);
  const samples: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        samples.push(await one(i));
      }
    }),
  );
  return percentiles(samples, concurrency);
}
