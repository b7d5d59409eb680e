/** Test images pushed straight through registry-store (the registry service's own code paths). */
import { createHash } from "node:crypto";
import { parseManifestReference } from "@berth/oci";
import type { RegistryStore } from "@berth/registry-store";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";

export const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A layer of `size` bytes of `seed`. */
export const layer = (seed: string, size = 1024) => Buffer.alloc(size, seed);

async function blob(registry: RegistryStore, repo: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(bytes);
  await registry.uploads.uploadMonolithic(repo, digest as never, (async function* () { yield bytes; })(), bytes.length);
  return { digest, size: bytes.length };
}

/** Pushes an image (config + layers) under `tag` (or by digest); returns its digest. */
export async function pushImage(registry: RegistryStore, repo: string, tag: string | undefined, layers: Buffer[]): Promise<{ digest: string; body: Buffer }> {
  const config = await blob(registry, repo, Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } })));
  const ls = [];
  for (const l of layers) ls.push(await blob(registry, repo, l));
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, ...config },
      layers: ls.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...l })),
    }),
  );
  const digest = sha256(body);
  await registry.manifests.put(repo, parseManifestReference(tag ?? digest), body, OCI_MANIFEST);
  return { digest, body };
}
