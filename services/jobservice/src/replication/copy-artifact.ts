/**
 * One artifact of a repository, source to destination, digests preserved byte for byte: its tags
 * are compared with the destination's (equal: nothing to do; different: refused unless
 * `override`); its manifest tree is copied bottom-up — blobs, then child manifests, then the
 * manifest by digest, then its tags — and its referrers (signatures, SBOMs, attestations, found
 * through the referrers API or the tag-schema fallback) follow it, with the fallback index
 * written on destinations without the referrers API.
 */
import type { Manifest } from "@berth/distribution-client";
import { effectiveArtifactType, isImageManifestMediaType, isIndexMediaType, OCI_INDEX, parseManifest, referencedBlobs, referrersTagForDigest, type ParsedManifest } from "@berth/oci";
import type { ArtifactRef } from "./adapters/adapter.js";
import { copyBlob, type CopyContext } from "./copy-blob.js";

export interface ArtifactOptions {
  override: boolean;
  /** `image`: artifacts that are not container images are skipped. */
  resource: "image" | "artifact";
}

export interface CopyStats {
  artifacts: number;
  skipped: number;
  refused: number;
  blobs: { copied: number; mounted: number; present: number };
}

/** How many blobs of one image are copied at once. */
const BLOB_CONCURRENCY = 3;
/** Referrers of referrers (a signature of an SBOM) are followed this deep. */
const REFERRER_DEPTH = 3;

export function newStats(): CopyStats {
  return { artifacts: 0, skipped: 0, refused: 0, blobs: { copied: 0, mounted: 0, present: 0 } };
}

export async function copyArtifact(ctx: CopyContext, ref: ArtifactRef, options: ArtifactOptions, stats: CopyStats): Promise<void> {
  const { source, destination: dst, srcRepo, dstRepo, signal } = ctx;
  // Group tags by the digest they name at the source now.
  const byDigest = new Map<string, { manifest: Manifest; tags: string[] }>();
  const resolve = async (reference: string, tag: string | undefined) => {
    const manifest = await source.getManifest(srcRepo, reference, signal);
    if (!manifest) return void (await ctx.log(`${srcRepo}:${reference} is gone from the source: skipped`));
    const entry = byDigest.get(manifest.digest) ?? { manifest, tags: [] };
    if (tag !== undefined) entry.tags.push(tag);
    byDigest.set(manifest.digest, entry);
  };
  if (ref.digest) {
    await resolve(ref.digest, undefined);
    const entry = byDigest.get(ref.digest);
    if (entry) entry.tags.push(...ref.tags);
  } else {
    for (const tag of ref.tags) await resolve(tag, tag);
  }

  for (const [digest, { manifest, tags }] of byDigest) {
    const parsed = parseManifest(manifest.bytes, manifest.mediaType);
    const what = `${srcRepo}@${digest}${tags.length ? ` (${tags.join(", ")})` : ""}`;
    if (options.resource === "image" && !isImage(parsed)) {
      stats.skipped++;
      await ctx.log(`${what} is not a container image (resource filter: image): skipped`);
      continue;
    }
    const toTag: string[] = [];
    for (const tag of tags) {
      const there = await dst.headManifest(dstRepo, tag, signal);
      if (there?.digest === digest) continue;
      if (there && !options.override) {
        stats.refused++;
        await ctx.log(`${dstRepo}:${tag} is ${there.digest} on the destination, not ${digest}: not overwritten (override is off)`);
        continue;
      }
      toTag.push(tag);
    }
    const present = (await dst.headManifest(dstRepo, digest, signal)) !== undefined;
    if (tags.length > 0 && toTag.length === 0 && !present) continue;
    if (!present) await copyTree(ctx, manifest, parsed, stats);
    for (const tag of toTag) await dst.putManifest(dstRepo, tag, manifest.bytes, manifest.mediaType, signal);
    await copyReferrers(ctx, digest, parsed, stats, 0);
    if (present && toTag.length === 0) {
      stats.skipped++;
      await ctx.log(`${what} is already on the destination as ${dstRepo}@${digest}`);
    } else {
      stats.artifacts++;
      await ctx.log(`copied ${what} to ${dstRepo}${toTag.length ? `, tagged ${toTag.join(", ")}` : ""}`);
    }
  }
}

/** Blobs, then child manifests, then the manifest itself (by digest). */
async function copyTree(ctx: CopyContext, manifest: Manifest, parsed: ParsedManifest, stats: CopyStats): Promise<void> {
  const { source, destination: dst, srcRepo, dstRepo, signal } = ctx;
  for (const child of parsed.manifests) {
    if (await dst.headManifest(dstRepo, child.digest, signal)) continue;
    const m = await source.getManifest(srcRepo, child.digest, signal);
    if (!m) throw new Error(`${srcRepo}@${manifest.digest} lists ${child.digest}, which the source does not have`);
    await copyTree(ctx, m, parseManifest(m.bytes, m.mediaType), stats);
  }
  const blobs = referencedBlobs(parsed, { skipNondistributable: true });
  for (let i = 0; i < blobs.length; i += BLOB_CONCURRENCY) {
    const outcomes = await Promise.all(blobs.slice(i, i + BLOB_CONCURRENCY).map((b) => copyBlob(ctx, { digest: b.digest, size: b.size })));
    for (const o of outcomes) stats.blobs[o]++;
  }
  const put = await dst.putManifest(dstRepo, manifest.digest, manifest.bytes, manifest.mediaType, signal);
  // A referrer on a destination without the referrers API is listed under its subject's fallback tag.
  if (parsed.subject && !put.referrersApi) {
    const artifactType = effectiveArtifactType(parsed);
    await mergeFallbackIndex(ctx, parsed.subject.digest, [
      { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size, ...(artifactType && { artifactType }), ...(parsed.annotations && { annotations: { ...parsed.annotations } }) },
    ]);
  }
}

/** The subject's referrers (and theirs, a few levels down) follow it. */
async function copyReferrers(ctx: CopyContext, subject: string, parsed: ParsedManifest, stats: CopyStats, depth: number): Promise<void> {
  if (depth > REFERRER_DEPTH) return;
  const { source, destination: dst, srcRepo, dstRepo, signal } = ctx;
  // Per-platform referrers (a signature of one image of an index) follow too.
  if (depth === 0) for (const child of parsed.manifests) await copyReferrers(ctx, child.digest, { ...parsed, manifests: [] }, stats, 1);
  for (const r of await source.referrers(srcRepo, subject, signal)) {
    if (await dst.headManifest(dstRepo, r.digest, signal)) continue;
    const m = await source.getManifest(srcRepo, r.digest, signal);
    if (!m) continue;
    const p = parseManifest(m.bytes, m.mediaType);
    await copyTree(ctx, m, p, stats);
    await ctx.log(`copied referrer ${r.digest}${r.artifactType ? ` (${r.artifactType})` : ""} of ${subject}`);
    await copyReferrers(ctx, r.digest, p, stats, depth + 1);
  }
}

/** On a destination without the referrers API, the referrers index lives under the tag `sha256-<hex>`. */
async function mergeFallbackIndex(ctx: CopyContext, subject: string, add: { mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string> }[]): Promise<void> {
  const { destination: dst, dstRepo, signal } = ctx;
  const tag = referrersTagForDigest(subject);
  const existing = await dst.getManifest(dstRepo, tag, signal);
  const manifests: { digest: string }[] = existing ? ((JSON.parse(existing.bytes.toString("utf8")) as { manifests?: { digest: string }[] }).manifests ?? []) : [];
  const known = new Set(manifests.map((m) => m.digest));
  const added = add.filter((d) => !known.has(d.digest));
  if (added.length === 0) return;
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...manifests, ...added] }));
  await dst.putManifest(dstRepo, tag, index, OCI_INDEX, signal);
  await ctx.log(`wrote the referrers tag ${tag} (the destination has no referrers API)`);
}

function isImage(m: ParsedManifest): boolean {
  if (isIndexMediaType(m.mediaType)) return true;
  if (!isImageManifestMediaType(m.mediaType)) return false;
  const config = m.config?.mediaType;
  return config === "application/vnd.oci.image.config.v1+json" || config === "application/vnd.docker.container.image.v1+json";
}
