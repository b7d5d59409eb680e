// The registry streams: a 512 MiB blob goes up (one chunked PATCH, then PUT) and comes back down
// through nginx while the registry process's resident memory stays within a few tens of MiB of
// where it started. Memory is read from /proc/<pid>/status of the real registry child.
// The baseline is the peak of a 64 MiB warm-up transfer each way: it holds what streaming costs at
// all (I/O buffers, the allocator's arenas, V8 letting spent Buffers pile up to its external-memory
// threshold before it collects them). A blob eight times larger must not add more than a few tens
// of MiB to that peak: memory bounded by the stream, not by the blob.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { startTestStack, type TestStack } from "./support/stack.js";
import { basicAuth } from "./support/http.js";

const MiB = 1024 * 1024;
const SIZE = 512 * MiB;
const LIMIT = 64 * MiB;
const REPO = "library/memory-check";

let stack: TestStack;
let token: string;

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  assert.ok(kb > 0, "VmRSS readable");
  return kb * 1024;
}

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

before(async () => {
  // The registry itself streams the download here (the local stack would otherwise let nginx send
  // blob files via X-Accel-Redirect): this test bounds the registry's memory both ways.
  stack = await startTestStack("memory", { env: { BERTH_REGISTRY_ACCEL_REDIRECT: "" } });
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

test("a 512 MiB blob streams up and down with bounded registry memory", async () => {
  const pid = stack.pidOf("registry");
  assert.ok(pid, "registry pid recorded");
  const data = content(SIZE);

  // Warm up: one 64 MiB blob up and down through the same paths; its peak is the baseline.
  const before = rssOf(pid);
  let warmPeak = before;
  const warmSampler = setInterval(() => {
    warmPeak = Math.max(warmPeak, rssOf(pid));
  }, 25);
  try {
    const warm = content(64 * MiB);
    const w = await send("POST", `${stack.baseUrl}/v2/${REPO}/blobs/uploads/?digest=${warm.digest}`, warm.stream(), {
      "content-type": "application/octet-stream",
      "content-length": String(64 * MiB),
    });
    w.body.resume();
    assert.equal(w.status, 201);
    const back = await send("GET", `${stack.baseUrl}/v2/${REPO}/blobs/${warm.digest}`);
    assert.equal(back.status, 200);
    await pipeline(back.body, createHash("sha256"));
  } finally {
    clearInterval(warmSampler);
  }
  console.log(`# registry RSS: ${(before / MiB).toFixed(1)} MiB idle, ${(warmPeak / MiB).toFixed(1)} MiB peak moving 64 MiB`);

  const baseline = warmPeak;
  let peak = rssOf(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 25);
  try {
    const start = await send("POST", `${stack.baseUrl}/v2/${REPO}/blobs/uploads/`);
    start.body.resume();
    assert.equal(start.status, 202);
    const location = new URL(String(start.headers["location"]), stack.baseUrl).toString();

    const patched = await send("PATCH", location, data.stream(), { "content-type": "application/octet-stream" });
    patched.body.resume();
    assert.equal(patched.status, 202, "chunk accepted");
    assert.equal(patched.headers["range"], `0-${SIZE - 1}`);

    const next = new URL(String(patched.headers["location"]), stack.baseUrl);
    next.searchParams.set("digest", data.digest);
    const put = await send("PUT", next.toString());
    put.body.resume();
    assert.equal(put.status, 201, "upload completed");
    assert.equal(put.headers["docker-content-digest"], data.digest);
    console.log(`# registry RSS after the upload: peak ${(peak / MiB).toFixed(1)} MiB (baseline ${(baseline / MiB).toFixed(1)} MiB)`);

    const got = await send("GET", `${stack.baseUrl}/v2/${REPO}/blobs/${data.digest}`);
    assert.equal(got.status, 200);
    assert.equal(got.headers["content-length"], String(SIZE));
    const hash = createHash("sha256");
    await pipeline(got.body, hash);
    assert.equal(`sha256:${hash.digest("hex")}`, data.digest, "downloaded bytes verify");
  } finally {
    clearInterval(sampler);
  }
  const growth = peak - baseline;
  console.log(`# registry RSS: baseline ${(baseline / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB`);
  assert.ok(growth < LIMIT, `registry RSS grew by ${(growth / MiB).toFixed(1)} MiB moving 512 MiB (limit ${LIMIT / MiB} MiB)`);
});
