// N concurrent pulls of one image through nginx, all started at once, as N CI jobs pulling the
// same base image: each gets its own token (Basic credentials → /service/token), then the
// manifest by tag, the config and the layer, verified by digest. Every pull must succeed; the
// registry's resident memory is sampled throughout.
import { createHash } from "node:crypto";
import { Repo } from "../../support/oci-client.js";
import { RssSampler } from "../rss.js";
import { percentiles, type LatencyStats } from "./latency.js";
import type { ScaleStack } from "./scale-stack.js";

export interface PullsResult {
  pulls: number;
  succeeded: number;
  errors: string[];
  seconds: number;
  /** Whole pull (token, manifest, config, layer), ms. */
  latency: LatencyStats | undefined;
  registryRssBeforeMiB: number;
  registryRssPeakMiB: number;
}

export async function concurrentPulls(stack: ScaleStack, repository: string, tag: string, count: number): Promise<PullsResult> {
  const pid = stack.registryPid();
  const sampler = pid === undefined ? undefined : new RssSampler(pid, 50).start();
  const before = (sampler?.last ?? 0) / 1024 / 1024;
  sampler?.reset();
  const errors: string[] = [];
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: count }, async () => {
      const t0 = process.hrtime.bigint();
      try {
        const repo = new Repo(stack.http, repository, await stack.fetchToken(`repository:${repository}:pull`));
        const manifestRes = await repo.getManifest(tag);
        const digest = `sha256:${createHash("sha256").update(manifestRes.body).digest("hex")}`;
        if (digest !== manifestRes.headers["docker-content-digest"]) throw new Error(`manifest digest ${digest} ≠ ${String(manifestRes.headers["docker-content-digest"])}`);
        const manifest = JSON.parse(manifestRes.body.toString("utf8")) as { config: { digest: string }; layers: { digest: string }[] };
        for (const blob of [manifest.config, ...manifest.layers]) {
          const got = await repo.getBlob(blob.digest, true);
          if (got.digest !== blob.digest) throw new Error(`blob ${blob.digest} hashed to ${got.digest}`);
        }
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  sampler?.stop();
  return {
    pulls: count,
    succeeded: samples.length,
    errors: [...new Set(errors)].slice(0, 10),
    seconds: Math.round(seconds * 10) / 10,
    latency: samples.length ? percentiles(samples, count) : undefined,
    registryRssBeforeMiB: Math.round(before),
    registryRssPeakMiB: Math.round((sampler?.peak ?? 0) / 1024 / 1024),
  };
}
