/** Small OCI content builders and push helpers for the registry's tests. */
import { createHash } from "node:crypto";
import type { Harness } from "./harness.js";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export interface Content {
  bytes: Buffer;
  digest: string;
  size: number;
}

export function content(bytes: Buffer | string): Content {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return { bytes: b, digest: sha256(b), size: b.length };
}

/** Uploads a blob monolithically; asserts nothing. */
export async function pushBlob(h: Harness, name: string, token: string, blob: Content, port?: number): Promise<number> {
  const r = await h.request("POST", `/v2/${name}/blobs/uploads/?digest=${blob.digest}`, {
    token,
    body: blob.bytes,
    headers: { "Content-Type": "application/octet-stream" },
    ...(port !== undefined && { port }),
  });
  return r.status;
}

/** An OCI image manifest over a config and layers (plus extra fields). */
export function imageManifest(config: Content, layers: Content[], extra: Record<string, unknown> = {}): Content {
  return content(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: l.digest, size: l.size })),
      ...extra,
    }),
  );
}

/** An OCI index over manifests. */
export function imageIndex(children: Content[], extra: Record<string, unknown> = {}): Content {
  return content(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: children.map((c, i) => ({
        mediaType: OCI_MANIFEST,
        digest: c.digest,
        size: c.size,
        platform: { architecture: i % 2 ? "arm64" : "amd64", os: "linux" },
      })),
      ...extra,
    }),
  );
}

/** Pushes an image (config + layers + manifest under `reference`); returns the manifest. */
export async function pushImage(h: Harness, name: string, token: string, reference: string, seed: string): Promise<{ manifest: Content; config: Content; layers: Content[] }> {
  const config = content(JSON.stringify({ architecture: "amd64", os: "linux", seed }));
  const layers = [content(`layer-a-${seed}`), content(`layer-b-${seed}`)];
  for (const b of [config, ...layers]) {
    const status = await pushBlob(h, name, token, b);
    if (status !== 201) throw new Error(`blob push answered ${status}`);
  }
  const manifest = imageManifest(config, layers);
  const r = await h.request("PUT", `/v2/${name}/manifests/${reference}`, { token, body: manifest.bytes, headers: { "Content-Type": OCI_MANIFEST } });
  if (r.status !== 201) throw new Error(`manifest push answered ${r.status}: ${r.body}`);
  return { manifest, config, layers };
}
