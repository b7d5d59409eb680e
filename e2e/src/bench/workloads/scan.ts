// Scanning, timed against pulling: the built-in adapter scans (1) a 1 GiB single-layer image of
// incompressible data and (2) the Debian bookworm minbase image (the e2e tests' root filesystem),
// through its own API as Harbor would call it. Each scan time is reported beside the time to pull
// the same layers through the front door (GET, hashed) — a reference measured in the same run, so
// the ratio means something on a shared machine — with the adapter's resident memory growth.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { createGzip } from "node:zlib";
import { debianRootfs } from "../../support/debian-rootfs.js";
import { run } from "../../support/exec.js";
import { basicAuth } from "../../support/http.js";
import { RssSampler } from "../rss.js";
import type { BerthTarget } from "../targets.js";
import { MiB, randomBytesOf, seconds, type Context } from "./common.js";

export const SCAN_BIG_SIZE = 1024 * MiB;
const VULN = "application/vnd.security.vulnerability.report; version=1.1";

export interface ScanResult {
  image: string;
  sizeMiB: number;
  pullSeconds: number;
  scanSeconds: number;
  /** Scan time over pull time (lower is better). */
  ratio: number;
  adapterGrowthMiB: number;
  packages: number;
}

/** sha256 of what passes, without changing it. */
function hashing(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({ transform: (c: Buffer, _e, cb) => cb(null, (hash.update(c), c)) });
}

interface Layer {
  file: string;
  size: number;
  mediaType: string;
  diffId: string;
}

async function pushImage(target: BerthTarget, name: string, layer: Layer): Promise<{ repository: string; digest: string; layerDigest: string }> {
  const repo = await target.repo(`bench/${name}`);
  const layerDigest = await repo.pushBlobStreamed(createReadStream(layer.file, { highWaterMark: MiB }), layer.size);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [layer.diffId] } }));
  const configDigest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
  await repo.pushBlobIfMissing(config, configDigest);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
      layers: [{ mediaType: layer.mediaType, digest: layerDigest, size: layer.size }],
    }),
  );
  await repo.putManifest("1", manifest);
  return { repository: `bench/${name}`, digest: `sha256:${createHash("sha256").update(manifest).digest("hex")}`, layerDigest };
}

async function scanOnce(target: BerthTarget, image: { repository: string; digest: string }, ctx: Context): Promise<{ seconds: number; packages: number }> {
  const adapter = target.scannerAdapter();
  const headers = { authorization: `Bearer ${adapter.apiKey}` };
  const started = process.hrtime.bigint();
  const res = await fetch(`${adapter.url}/api/v1/scan`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/vnd.scanner.adapter.scan.request+json; version=1.1" },
    body: JSON.stringify({ registry: { url: target.baseUrl, authorization: basicAuth("admin", adapter.adminPassword)["authorization"] }, artifact: { repository: image.repository, digest: image.digest } }),
  });
  if (res.status !== 202) throw new Error(`POST /api/v1/scan answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  // Polled every 100 ms (not at Refresh-After) so the time is the scan's, not the poll's.
  for (const deadline = Date.now() + 15 * 60_000; Date.now() < deadline && !ctx.signal.aborted; ) {
    const r = await fetch(`${adapter.url}/api/v1/scan/${id}/report`, { headers: { ...headers, accept: VULN }, redirect: "manual" });
    if (r.status === 200) {
      const secondsTaken = seconds(started);
      const sbom = await fetch(`${adapter.url}/api/v1/scan/${id}/report?sbom_media_type=application%2Fspdx%2Bjson`, { headers: { ...headers, accept: "application/vnd.security.sbom.report+json; version=1.0" } });
      const doc = (await sbom.json()) as { sbom: { packages: unknown[] } };
      return { seconds: secondsTaken, packages: doc.sbom.packages.length - 1 };
    }
    await r.arrayBuffer();
    if (r.status !== 302) throw new Error(`the report answered ${r.status}`);
    await new Promise((t) => setTimeout(t, 100));
  }
  throw new Error("the scan did not finish within 15 minutes");
}

async function measure(target: BerthTarget, label: string, name: string, layer: Layer, ctx: Context): Promise<ScanResult> {
  const image = await pushImage(target, name, layer);
  const repo = await target.repo(image.repository);
  let started = process.hrtime.bigint();
  const got = await repo.getBlob(image.layerDigest, true);
  const pullSeconds = seconds(started);
  if (got.digest !== image.layerDigest) throw new Error(`pulled ${got.digest}, expected ${image.layerDigest}`);
  const pid = target.scannerAdapter().pid;
  const sampler = pid === undefined ? undefined : new RssSampler(pid, 50).start();
  const baseline = sampler?.sample() ?? 0;
  sampler?.reset();
  started = process.hrtime.bigint();
  const scanned = await scanOnce(target, image, ctx);
  sampler?.stop();
  return {
    image: label,
    sizeMiB: layer.size / MiB,
    pullSeconds,
    scanSeconds: scanned.seconds,
    ratio: scanned.seconds / pullSeconds,
    adapterGrowthMiB: sampler ? Math.max(0, sampler.peak - baseline) / MiB : NaN,
    packages: scanned.packages,
  };
}

/** A tar of one file of `size` incompressible bytes, written to disk (never held in memory). */
async function bigLayer(dir: string, size: number): Promise<Layer> {
  const file = join(dir, "big.bin");
  const out = createWriteStream(file);
  const piece = randomBytesOf(8 * MiB);
  for (let written = 0, i = 0; written < size; written += piece.length, i++) {
    piece.writeUInt32BE(i, 0);
    if (!out.write(Buffer.from(piece))) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
  const tar = join(dir, "big.tar");
  const t = await run("tar", ["-C", dir, "-cf", tar, "big.bin"], { timeoutMs: 600_000 });
  if (t.code !== 0) throw new Error(t.describe);
  writeFileSync(file, "");
  const hash = createHash("sha256");
  await pipeline(createReadStream(tar), hashing(hash), createWriteStream("/dev/null"));
  return { file: tar, size: statSync(tar).size, mediaType: "application/vnd.oci.image.layer.v1.tar", diffId: `sha256:${hash.digest("hex")}` };
}

/** The Debian root filesystem (debian-rootfs.ts's tarball) as one gzip layer. */
async function debianLayer(dir: string): Promise<Layer> {
  const tar = await debianRootfs();
  const diff = createHash("sha256");
  const gz = join(dir, "debian.tar.gz");
  await pipeline(createReadStream(tar), hashing(diff), createGzip(), createWriteStream(gz));
  return { file: gz, size: statSync(gz).size, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", diffId: `sha256:${diff.digest("hex")}` };
}

export async function scanBench(target: BerthTarget, ctx: Context): Promise<ScanResult[]> {
  const results: ScanResult[] = [];
  ctx.log("scanning: the Debian bookworm image (debootstrap minbase)");
  results.push(await measure(target, "Debian bookworm minbase (gzip)", "debian", await debianLayer(ctx.tmpDir), ctx));
  ctx.log(`scanning: a ${SCAN_BIG_SIZE / 1024 / MiB} GiB image`);
  results.push(await measure(target, `${SCAN_BIG_SIZE / 1024 / MiB} GiB single layer (tar)`, "big-scan", await bigLayer(ctx.tmpDir, SCAN_BIG_SIZE), ctx));
  return results;
}
