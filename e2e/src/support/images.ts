// Small test images built by hand: layers as real tar.gz, configs, manifests, OCI image layouts
// (`oci:DIR:TAG`) and skopeo `dir:` images — byte-exact, so digests can be compared after round trips.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export const MT = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
  v2s2Manifest: "application/vnd.docker.distribution.manifest.v2+json",
  v2s2List: "application/vnd.docker.distribution.manifest.list.v2+json",
  v2s2Config: "application/vnd.docker.container.image.v1+json",
  v2s2Layer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

export const sha256 = (data: Buffer | string): string => `sha256:${createHash("sha256").update(data).digest("hex")}`;

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  data: Buffer;
}

function blob(mediaType: string, data: Buffer): Blob {
  return { mediaType, digest: sha256(data), size: data.length, data };
}

/** A ustar archive of regular files (mode 0644, mtime 0, owner 0). */
export function tar(files: Record<string, Buffer | string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const header = Buffer.alloc(512);
    header.write(name, 0, 100, "utf8");
    header.write("0000644\0", 100);
    header.write("0000000\0", 108);
    header.write("0000000\0", 116);
    header.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
    header.write("00000000000\0", 136);
    header.write("        ", 148);
    header.write("0", 156);
    header.write("ustar\0", 257);
    header.write("00", 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    parts.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export interface Layer {
  blob: Blob;
  diffId: string;
  tar: Buffer;
}

/** A gzipped layer holding `files`; by default one file of random bytes, so every layer is new. */
export function makeLayer(format: "oci" | "v2s2", files?: Record<string, Buffer | string>, randomSize = 1024): Layer {
  const t = tar(files ?? { [`data-${randomBytes(4).toString("hex")}.bin`]: randomBytes(randomSize) });
  return { blob: blob(format === "oci" ? MT.ociLayer : MT.v2s2Layer, gzipSync(t)), diffId: sha256(t), tar: t };
}

export interface Image {
  format: "oci" | "v2s2";
  config: Blob;
  layers: Layer[];
  manifest: Blob;
  platform: { architecture: string; os: string };
}

/** An image of `layerCount` fresh layers (or the given ones) with a matching config. */
export function makeImage(format: "oci" | "v2s2", options: { layers?: Layer[]; layerCount?: number; architecture?: string } = {}): Image {
  const layers = options.layers ?? Array.from({ length: options.layerCount ?? 1 }, () => makeLayer(format));
  const architecture = options.architecture ?? "amd64";
  const config = blob(
    format === "oci" ? MT.ociConfig : MT.v2s2Config,
    Buffer.from(
      JSON.stringify({
        architecture,
        os: "linux",
        created: "2026-01-01T00:00:00Z",
        config: { Cmd: ["/bin/sh"], Labels: { "berth.e2e": randomBytes(6).toString("hex") } },
        rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
        history: layers.map(() => ({ created: "2026-01-01T00:00:00Z", created_by: "berth e2e" })),
      }),
    ),
  );
  const desc = (b: Blob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  const manifest = blob(
    format === "oci" ? MT.ociManifest : MT.v2s2Manifest,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: format === "oci" ? MT.ociManifest : MT.v2s2Manifest,
        config: desc(config),
        layers: layers.map((l) => desc(l.blob)),
      }),
    ),
  );
  return { format, config, layers, manifest, platform: { architecture, os: "linux" } };
}

/** An image index (OCI) or manifest list (v2s2) over `images`. */
export function makeIndex(format: "oci" | "v2s2", images: Image[]): Blob {
  const mediaType = format === "oci" ? MT.ociIndex : MT.v2s2List;
  return blob(
    mediaType,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType,
        manifests: images.map((i) => ({ mediaType: i.manifest.mediaType, digest: i.manifest.digest, size: i.manifest.size, platform: i.platform })),
      }),
    ),
  );
}

function blobsOf(image: Image): Blob[] {
  return [image.config, ...image.layers.map((l) => l.blob), image.manifest];
}

/**
 * Writes an OCI image layout at `dir` with `refs` (tag → top-level manifest or index); every
 * image's blobs go in. Use as `oci:<dir>:<tag>`.
 */
export function writeOciLayout(dir: string, refs: Record<string, { top: Blob; images: Image[] }>): void {
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const manifests = [];
  for (const [tag, { top, images }] of Object.entries(refs)) {
    for (const b of [...images.flatMap(blobsOf), top]) writeFileSync(join(dir, "blobs", "sha256", b.digest.slice(7)), b.data);
    manifests.push({ mediaType: top.mediaType, digest: top.digest, size: top.size, annotations: { "org.opencontainers.image.ref.name": tag } });
  }
  writeFileSync(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests }));
}

/** Writes `image` in skopeo's `dir:` format (manifest.json + blobs by hex), e.g. for exact v2s2 bytes. */
export function writeDirImage(dir: string, image: Image): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "version"), "Directory Transport Version: 1.1\n");
  writeFileSync(join(dir, "manifest.json"), image.manifest.data);
  for (const b of [image.config, ...image.layers.map((l) => l.blob)]) writeFileSync(join(dir, b.digest.slice(7)), b.data);
}

/** A one-image OCI layout at `dir` tagged `tag`; returns the image. */
export function ociImageLayout(dir: string, tag = "latest", options: Parameters<typeof makeImage>[1] = {}): Image {
  const image = makeImage("oci", options);
  writeOciLayout(dir, { [tag]: { top: image.manifest, images: [image] } });
  return image;
}
