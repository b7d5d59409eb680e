// The registry streams: a 512 MiB blob goes up (one chunked PATCH, then PUT) and comes back down
// through nginx, and the registry process neither holds the blob in memory while it moves nor
// keeps any of it afterwards.
//
// Measured against steady states, not against a moment of the process's life: the registry runs
// with BERTH_DEBUG_MEMORY=1, and its `GET /debug/memory` (its own port; nginx does not route it)
// forces full garbage collections before it reports `process.memoryUsage()`. So the numbers do
// not depend on when V8 last collected the spent socket buffers — which is what made the former
// version of this test (growth of a peak over the peak of a warm-up) fail about half its runs.
//   1. Retained: JS heap + external (Buffer) memory after the transfers, collected, minus the same
//      before them. Streaming keeps nothing: a few MiB of caches at most. A leak of the transferred
//      bytes (or of anything per chunk) keeps hundreds of MiB.
//   2. Peak: the process's resident memory, sampled from /proc while the blob moves, over its
//      collected resident memory before. Streaming costs socket and file buffers, plus garbage V8
//      lets pile up before it collects (~100 MiB here); holding the blob costs 512 MiB more. The
//      limit, half the blob, sits between the two with a wide margin either way.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { nodeOptionsOf } from "@berth/config";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { startTestStack, type TestStack } from "./support/stack.js";
import { basicAuth } from "./support/http.js";
import { repoRoot } from "./support/launcher.js";

const MiB = 1024 * 1024;
const SIZE = 512 * MiB;
/** What streaming 512 MiB may keep once collected (caches, pools): far below any leak of the data. */
const RETAINED_LIMIT = 16 * MiB;
/** What moving 512 MiB may add to the resident memory at its peak: half the blob. */
const PEAK_LIMIT = SIZE / 2;
const REPO = "library/memory-check";

interface MemoryReport {
  rss: number;
  heapUsed: number;
  external: number;
}

let stack: TestStack;
let token: string;

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  assert.ok(kb > 0, "VmRSS readable");
  return kb * 1024;
}

/** The registry's memory after forced full collections (its debug endpoint, on its own port). */
async function steadyState(): Promise<MemoryReport> {
  const res = await fetch(`http://127.0.0.1:${stack.running.ports.registry}/debug/memory`);
  assert.equal(res.status, 200, "BERTH_DEBUG_MEMORY serves /debug/memory");
  return (await res.json()) as MemoryReport;
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const retainedOf = (m: MemoryReport) => m.heapUsed + m.external;

/** Deterministic content: a random 1 MiB block, each copy stamped with its index. */
function content(size: number): { stream: () => Readable; digest: string } {
  const block = randomBytes(MiB);
  const chunk = (i: number) => {
    const b = Buffer.from(block);
    b.writeUInt32BE(i, 0);
    return b;
  };
  const hash = createHash("sha256");
  for (let i = 0; i < size / MiB; i++) hash.update(chunk(i));
  return {
    digest: `sha256:${hash.digest("hex")}`,
    stream: () =>
      Readable.from(
        (function* () {
          for (let i = 0; i < size / MiB; i++) yield chunk(i);
        })(),
      ),
  };
}

function send(method: string, url: string, body?: Readable, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Readable }>((resolve, reject) => {
    const req = request(url, { method, headers: { authorization: `Bearer ${token}`, ...headers } }, (res) =>
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
    );
    req.on("error", reject);
    if (body) body.pipe(req);
    else req.end();
  });
}

/** Uploads `data` (POST, one PATCH, PUT) and downloads it back through nginx, verifying the bytes. */
async function roundTrip(data: { stream: () => Readable; digest: string }, size: number): Promise<void> {
  const start = await send("POST", `${stack.baseUrl}/v2/${REPO}/blobs/uploads/`);
  start.body.resume();
  assert.equal(start.status, 202);
  const patched = await send("PATCH", new URL(String(start.headers["location"]), stack.baseUrl).toString(), data.stream(), {
    "content-type": "application/octet-stream",
  });
  patched.body.resume();
  assert.equal(patched.status, 202, "chunk accepted");
  assert.equal(patched.headers["range"], `0-${size - 1}`);
  const next = new URL(String(patched.headers["location"]), stack.baseUrl);
  next.searchParams.set("digest", data.digest);
  const put = await send("PUT", next.toString());
  put.body.resume();
  assert.equal(put.status, 201, "upload completed");
  assert.equal(put.headers["docker-content-digest"], data.digest);

  const got = await send("GET", `${stack.baseUrl}/v2/${REPO}/blobs/${data.digest}`);
  assert.equal(got.status, 200);
  assert.equal(got.headers["content-length"], String(size));
  const hash = createHash("sha256");
  await pipeline(got.body, hash);
  assert.equal(`sha256:${hash.digest("hex")}`, data.digest, "downloaded bytes verify");
}

before(async () => {
  // BERTH_REGISTRY_ACCEL_REDIRECT="": the registry streams the download itself (the local stack
  // would otherwise let nginx send blob files): this test bounds the registry's memory both ways.
  stack = await startTestStack("memory", { env: { BERTH_REGISTRY_ACCEL_REDIRECT: "", BERTH_DEBUG_MEMORY: "1" } });
  const scope = encodeURIComponent(`repository:${REPO}:pull,push`);
  const res = await fetch(`${stack.baseUrl}/service/token?service=berth-registry&scope=${scope}`, {
    headers: basicAuth("admin", stack.adminPassword),
  });
  assert.equal(res.status, 200);
  token = ((await res.json()) as { token: string }).token;
});

after(async () => {
  await stack?.stop();
});

test("the registry runs with the Node flags its package.json declares (a small young generation, a slowly growing heap)", () => {
  const declared = nodeOptionsOf(join(repoRoot, "services", "registry", "package.json"));
  assert.ok(declared.some((f) => f.startsWith("--max-semi-space-size=")), `declared: ${declared.join(" ")}`);
  assert.ok(declared.some((f) => f.startsWith("--heap-growing-percent=")), `declared: ${declared.join(" ")}`);
  const argv = readFileSync(`/proc/${stack.pidOf("registry")}/cmdline`, "utf8").split("\0");
  for (const flag of declared) assert.ok(argv.includes(flag), `${flag} in the registry's command line: ${argv.join(" ")}`);
});

test("a 512 MiB blob streams up and down: registry memory bounded while it moves, nothing kept after", async () => {
  const pid = stack.pidOf("registry");
  assert.ok(pid, "registry pid recorded");

  // Warm up every path once (connections, pools, statement caches, JIT), then take the baseline.
  await roundTrip(content(16 * MiB), 16 * MiB);
  const before = await steadyState();

  let peak = rssOf(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 25);
  try {
    await roundTrip(content(SIZE), SIZE);
  } finally {
    clearInterval(sampler);
  }
  const afterwards = await steadyState();

  const retained = retainedOf(afterwards) - retainedOf(before);
  const growth = peak - before.rss;
  console.log(
    `# registry, collected: before ${mib(before.rss)} resident (${mib(retainedOf(before))} heap+external), ` +
      `after ${mib(afterwards.rss)} (${mib(retainedOf(afterwards))}); peak while moving 512 MiB ${mib(peak)} resident`,
  );
  assert.ok(retained < RETAINED_LIMIT, `the registry kept ${mib(retained)} of heap and Buffer memory after moving 512 MiB (limit ${mib(RETAINED_LIMIT)})`);
  assert.ok(growth < PEAK_LIMIT, `the registry's resident memory peaked ${mib(growth)} over its collected baseline moving 512 MiB (limit ${mib(PEAK_LIMIT)})`);
});
