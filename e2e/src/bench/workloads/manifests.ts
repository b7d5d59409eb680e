// Manifests:
//   GET by tag  wrk, 2 threads, 32 keep-alive connections, 8 s, the Accept header of real clients
//               and (Berth) the bearer token; req/s and p99 latency from wrk's own histogram.
//   PUT         400 distinct small manifests (an annotation differs) referencing one config and
//               one layer pushed beforehand, 8 concurrent clients, each under its own tag; req/s.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { findExecutable } from "@berth/local-stack";
import { makeManifest, makeSmallImage, MANIFEST_ACCEPT, pushImage, type SmallImage } from "../../support/oci-client.js";
import type { TargetName } from "../targets.js";
import { pool, randomBytesOf, seconds, type Workload } from "./common.js";

const WRK_SECONDS = Number(process.env["BERTH_BENCH_WRK_SECONDS"] ?? 8);
const WRK_CONNECTIONS = 32;
const WRK_THREADS = 2;

// Headers come from the environment, so the token is not on a command line; done() prints one
// JSON line the benchmark parses (wrk's percentiles are in microseconds).
const WRK_SCRIPT = `
wrk.method = "GET"
wrk.headers["Accept"] = os.getenv("BENCH_ACCEPT")
local auth = os.getenv("BENCH_AUTHORIZATION")
if auth ~= nil and auth ~= "" then wrk.headers["Authorization"] = auth end

done = function(summary, latency, requests)
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
`;

interface WrkResult {
  requests: number;
  duration_us: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
}

/** wrk children still running, so Ctrl-C can stop them. */
export const runningWrk = new Set<import("node:child_process").ChildProcess>();

function runWrk(url: string, scriptFile: string, env: Record<string, string>): Promise<WrkResult> {
  const wrk = findExecutable("wrk");
  if (!wrk) throw new Error("wrk not found (Debian: apt-get install -y wrk)");
  return new Promise((resolve, reject) => {
    const child = spawn(
      wrk,
      ["-t", String(WRK_THREADS), "-c", String(WRK_CONNECTIONS), "-d", `${WRK_SECONDS}s`, "--timeout", "5s", "-s", scriptFile, url],
      { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    runningWrk.add(child);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), (WRK_SECONDS + 30) * 1000);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(killer);
      runningWrk.delete(child);
      const line = out.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
      if (code !== 0 || !line) return reject(new Error(`wrk exited ${signal ?? code}: ${out.slice(-500)}`));
      resolve(JSON.parse(line.slice("BENCH_RESULT ".length)) as WrkResult);
    });
  });
}

/**
 * wrk's GETs of `url` (a manifest by tag) for BERTH_BENCH_WRK_SECONDS: req/s and p99 (ms). Fails
 * on any error or non-2xx answer.
 */
export async function wrkManifestGets(url: string, authorization: string, tmpDir: string): Promise<{ rps: number; p99Ms: number }> {
  const scriptFile = join(tmpDir, "manifest-get.lua");
  writeFileSync(scriptFile, WRK_SCRIPT);
  const r = await runWrk(url, scriptFile, { BENCH_ACCEPT: MANIFEST_ACCEPT, BENCH_AUTHORIZATION: authorization });
  const errors = r.connect + r.read + r.write + r.status + r.timeout;
  if (r.requests === 0) throw new Error("wrk completed no request");
  if (errors > 0) {
    throw new Error(`wrk saw errors: ${r.status} non-2xx/3xx, ${r.connect} connect, ${r.read} read, ${r.write} write, ${r.timeout} timeouts (of ${r.requests})`);
  }
  return { rps: r.requests / (r.duration_us / 1e6), p99Ms: r.p99_us / 1000 };
}

const getSeeded = new Map<TargetName, string>();

export const manifestGet: Workload = {
  name: "manifest GET",
  metrics: [
    { key: "manifest-get-rps", label: `manifest GET by tag, ${WRK_CONNECTIONS} conns (req/s)`, unit: "req/s", higherIsBetter: true, target: 1.5, decimals: 0 },
    { key: "manifest-get-p99-ms", label: "manifest GET p99 latency (ms)", unit: "ms", higherIsBetter: false, decimals: 2 },
  ],
  async run(target, _round, ctx) {
    const repoName = "bench/manifest-get";
    const repo = await target.repo(repoName);
    let digest = getSeeded.get(target.name);
    if (!digest) {
      const image = makeSmallImage([64 * 1024], randomBytesOf, `get-${target.name}`);
      await pushImage(repo, image, "latest");
      digest = image.manifestDigest;
      getSeeded.set(target.name, digest);
    }
    // Not timed: the tag resolves to what was pushed, so wrk measures real answers.
    const check = await repo.getManifest("latest");
    if (check.headers["docker-content-digest"] !== digest) {
      throw new Error(`GET manifests/latest answered digest ${String(check.headers["docker-content-digest"])}, expected ${digest}`);
    }
    const r = await wrkManifestGets(`${target.baseUrl}/v2/${repoName}/manifests/latest`, repo.auth["authorization"] ?? "", ctx.tmpDir);
    return { "manifest-get-rps": r.rps, "manifest-get-p99-ms": r.p99Ms };
  },
};

const PUT_COUNT = 400;
const PUT_CONCURRENCY = 8;
const PUT_DEADLINE_MS = 30_000;
const putBase = new Map<TargetName, SmallImage>();

export const manifestPut: Workload = {
  name: "manifest PUT",
  sink: true,
  metrics: [{ key: "manifest-put-rps", label: `manifest PUT, ${PUT_CONCURRENCY} clients (req/s)`, unit: "req/s", higherIsBetter: true, target: 2, decimals: 0 }],
  async run(target, round, ctx) {
    const repo = await target.repo("bench/manifest-put");
    let base = putBase.get(target.name);
    if (!base) {
      base = makeSmallImage([64 * 1024], randomBytesOf, `put-${target.name}`);
      await pushImage(repo, base, "base");
      putBase.set(target.name, base);
    }
    const b = base;
    const manifests = Array.from({ length: PUT_COUNT }, (_, i) =>
      makeManifest(b.config, b.layers, { "org.berth.bench.round": String(round), "org.berth.bench.index": String(i) }),
    );
    const started = process.hrtime.bigint();
    const done = await pool(PUT_COUNT, PUT_CONCURRENCY, (i) => repo.putManifest(`r${round}-${i}`, manifests[i]!), {
      deadline: Date.now() + PUT_DEADLINE_MS,
      signal: ctx.signal,
    });
    const elapsed = seconds(started);
    if (done < PUT_COUNT) ctx.log(`  ${target.label}: only ${done} of ${PUT_COUNT} manifest PUTs within ${PUT_DEADLINE_MS / 1000} s`);
    return { "manifest-put-rps": done / elapsed };
  },
};
