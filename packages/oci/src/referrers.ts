/**
 * The referrers API response (`GET /v2/<name>/referrers/<digest>`) and the referrers tag schema.
 *
 * @packageDocumentation
 */
import type { Descriptor } from "./descriptor.js";
import type { Digest } from "./digest.js";
import { DigestInvalidError } from "./domain-errors.js";
import type { ParsedManifest } from "./manifest.js";
import { OCI_INDEX, isImageManifestMediaType } from "./media-types.js";

/** The image index returned by the referrers API (served as `application/vnd.oci.image.index.v1+json`). */
export interface ReferrersIndex {
  readonly schemaVersion: 2;
  readonly mediaType: typeof OCI_INDEX;
  readonly manifests: readonly Descriptor[];
}

/** A stored manifest that may refer to a subject. */
export interface ReferrerCandidate {
  /** Digest of the stored manifest bytes. */
  readonly digest: Digest;
  /** Size of the stored manifest bytes. */
  readonly size: number;
  /** The parsed manifest. */
  readonly manifest: ParsedManifest;
}

/** Query of a referrers request. */
export interface ReferrersQuery {
  /** `artifactType` query parameter; absent or empty means no filter. */
  readonly artifactType?: string | undefined;
}

/** Result of {@link buildReferrersIndex}. */
export interface ReferrersResult {
  readonly index: ReferrersIndex;
  /** Filters applied; when non-empty send `OCI-Filters-Applied: <filtersApplied.join(",")>`. */
  readonly filtersApplied: readonly string[];
}

/**
 * The `artifactType` a referrer descriptor must carry: the manifest's `artifactType` if set, else
 * (image manifests only) its config `mediaType`; `undefined` for an index without one.
 */
export function effectiveArtifactType(manifest: ParsedManifest): string | undefined {
  if (manifest.artifactType !== undefined && manifest.artifactType !== "") return manifest.artifactType;
  if (isImageManifestMediaType(manifest.mediaType)) return manifest.config?.mediaType;
  return undefined;
}

/** The descriptor of a referrer in the referrers index: type, digest, size, artifactType, annotations. */
export function referrerDescriptor(candidate: ReferrerCandidate): Descriptor {
  const { manifest } = candidate;
  const artifactType = effectiveArtifactType(manifest);
  return {
    mediaType: manifest.mediaType,
    digest: candidate.digest,
    size: candidate.size,
    ...(artifactType !== undefined && { artifactType }),
    ...(manifest.annotations !== undefined && { annotations: manifest.annotations }),
  };
}

/**
 * Builds the referrers response for `subject`: one descriptor per candidate whose `subject.digest`
 * equals `subject` (others are skipped, duplicates by digest dropped), in input order, filtered by
 * `artifactType` (compared case-insensitively, media types being case-insensitive). No matches
 * yields an empty `manifests` list, never an error. Pagination is the caller's.
 */
export function buildReferrersIndex(
  subject: Digest,
  candidates: Iterable<ReferrerCandidate>,
  query: ReferrersQuery = {},
): ReferrersResult {
  const filter = query.artifactType === undefined || query.artifactType === "" ? undefined : query.artifactType.toLowerCase();
  const seen = new Set<string>();
  const manifests: Descriptor[] = [];
  for (const candidate of candidates) {
    if (candidate.manifest.subject?.digest !== subject || seen.has(candidate.digest)) continue;
    seen.add(candidate.digest);
    const descriptor = referrerDescriptor(candidate);
    if (filter !== undefined && descriptor.artifactType?.toLowerCase() !== filter) continue;
    manifests.push(descriptor);
  }
  return {
    index: { schemaVersion: 2, mediaType: OCI_INDEX, manifests },
    filtersApplied: filter === undefined ? [] : ["artifactType"],
  };
}

/**
 * The referrers tag schema tag for a digest (used by clients without the referrers API and by
 * registries importing such tags): algorithm truncated to 32 characters, `-`, encoded part
 * truncated to 64 characters, every character not allowed in a tag replaced by `-`.
 * Accepts any `algorithm:encoded` string, including unsupported algorithms.
 *
 * @example referrersTagForDigest("sha256:abc…") // "sha256-abc…"
 * @throws {DigestInvalidError} no `:` separator.
 */
export function referrersTagForDigest(digest: string): string {
  const colon = digest.indexOf(":");
  if (colon <= 0 || colon === digest.length - 1) throw new DigestInvalidError(digest, "expected algorithm:encoded");
  const algorithm = digest.slice(0, colon).slice(0, 32);
  const encoded = digest.slice(colon + 1).slice(0, 64);
  return `${algorithm}-${encoded}`.replace(/[^a-zA-Z0-9._-]/g, "-");
}
