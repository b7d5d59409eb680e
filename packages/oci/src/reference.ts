/**
 * Repository names, tags, manifest references and `/v2/` route parsing.
 *
 * @packageDocumentation
 */
import { parseDigest, type Digest } from "./digest.js";
import { NameInvalidError, TagInvalidError } from "./domain-errors.js";

/** A repository name that passed {@link parseRepositoryName}. */
export type RepositoryName = string & { readonly __brand: "@berth/oci/RepositoryName" };

/** A tag that passed {@link parseTag}. */
export type Tag = string & { readonly __brand: "@berth/oci/Tag" };

/**
 * Maximum length of a full repository name (all components and slashes), as in CNCF Distribution
 * (`NameTotalLengthMax = 255`). The spec only notes that many clients limit `host/name` to 255
 * characters; a registry that wants to honour that for its own hostname can pass a smaller limit.
 */
export const MAX_REPOSITORY_NAME_LENGTH = 255;

/** Maximum tag length from the spec grammar (1 + 127). */
export const MAX_TAG_LENGTH = 128;

/** One path component of a repository name: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`. */
const NAME_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/**
 * Validates a repository name against the spec grammar
 * `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`
 * and the total length limit. `..`, percent-encoding (e.g. `%2e%2e`) and uppercase are already
 * outside the grammar; they are checked first only to give a precise reason.
 *
 * Pass the name as it appeared in the raw request path (not percent-decoded).
 *
 * @param maxLength defaults to {@link MAX_REPOSITORY_NAME_LENGTH}.
 * @throws {NameInvalidError}
 */
export function parseRepositoryName(name: string, maxLength: number = MAX_REPOSITORY_NAME_LENGTH): RepositoryName {
  if (name.length === 0) throw new NameInvalidError(name, "empty name");
  if (name.length > maxLength) throw new NameInvalidError(name, `longer than ${maxLength} characters`);
  if (name.includes("%")) throw new NameInvalidError(name, "percent-encoded characters are not allowed");
  if (name.includes("..")) throw new NameInvalidError(name, "'..' is not allowed");
  if (/[A-Z]/.test(name)) throw new NameInvalidError(name, "must be lowercase");
  for (const component of name.split("/")) {
    if (component.length === 0) {
      throw new NameInvalidError(name, "empty path component (leading, trailing or repeated '/')");
    }
    if (!NAME_COMPONENT.test(component)) {
      throw new NameInvalidError(
        name,
        `component ${JSON.stringify(component)} must be lowercase alphanumerics separated by '.', '_', '__' or '-'`,
      );
    }
  }
  return name as RepositoryName;
}

/** True when {@link parseRepositoryName} would accept `name`. */
export function isValidRepositoryName(name: string, maxLength: number = MAX_REPOSITORY_NAME_LENGTH): boolean {
  try {
    parseRepositoryName(name, maxLength);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates a tag against `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
 *
 * @throws {TagInvalidError}
 */
export function parseTag(tag: string): Tag {
  if (tag.length === 0) throw new TagInvalidError(tag, "empty tag");
  if (tag.length > MAX_TAG_LENGTH) throw new TagInvalidError(tag, `longer than ${MAX_TAG_LENGTH} characters`);
  if (!TAG.test(tag)) {
    throw new TagInvalidError(tag, "must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
  }
  return tag as Tag;
}

/** True when {@link parseTag} would accept `tag`. */
export function isValidTag(tag: string): boolean {
  return tag.length > 0 && tag.length <= MAX_TAG_LENGTH && TAG.test(tag);
}

/**
 * True when a `<reference>` (the `<tag-or-digest>` of a manifest URL) is meant as a digest.
 * Tags can never contain `:`, so any `:` marks a digest; whether it is a *valid* digest is
 * {@link parseDigest}'s job (an invalid one is DIGEST_INVALID, not an unknown tag).
 */
export function isDigestReference(reference: string): boolean {
  return reference.includes(":");
}

/** A validated manifest reference: a tag or a digest. */
export type ManifestReference = { readonly kind: "tag"; readonly tag: Tag } | { readonly kind: "digest"; readonly digest: Digest };

/**
 * Parses the `<tag-or-digest>` of a manifest URL.
 *
 * @throws {TagInvalidError} not a digest and not a valid tag.
 * @throws {DigestInvalidError} contains `:` but is not a valid digest.
 * @throws {UnsupportedDigestAlgorithmError} a well-formed digest with an unsupported algorithm.
 */
export function parseManifestReference(reference: string): ManifestReference {
  if (isDigestReference(reference)) return { kind: "digest", digest: parseDigest(reference) };
  return { kind: "tag", tag: parseTag(reference) };
}

/**
 * A request path under `/v2/`, split into its parts. Strings are raw (not validated, not
 * percent-decoded): validate them with {@link parseRepositoryName}, {@link parseManifestReference}
 * and `parseDigest`, so the registry can answer NAME_INVALID / DIGEST_INVALID precisely.
 */
export type V2Route =
  /** `/v2/` — API version check. */
  | { readonly kind: "base" }
  /** `/v2/_catalog` — Distribution's repository listing (not in the OCI spec). */
  | { readonly kind: "catalog" }
  /** `/v2/<name>/manifests/<reference>` */
  | { readonly kind: "manifest"; readonly name: string; readonly reference: string }
  /** `/v2/<name>/blobs/<digest>` */
  | { readonly kind: "blob"; readonly name: string; readonly digest: string }
  /** `/v2/<name>/blobs/uploads/` (trailing slash optional) — start an upload. */
  | { readonly kind: "blob-upload-start"; readonly name: string }
  /** `/v2/<name>/blobs/uploads/<session>` — an upload session. */
  | { readonly kind: "blob-upload"; readonly name: string; readonly sessionId: string }
  /** `/v2/<name>/tags/list` */
  | { readonly kind: "tags"; readonly name: string }
  /** `/v2/<name>/referrers/<digest>` */
  | { readonly kind: "referrers"; readonly name: string; readonly digest: string };

/**
 * Splits the part of a request path after `/v2/` (no query string) into a {@link V2Route}.
 * Names contain slashes, so the route is recognised from the right, as Distribution's router does:
 * `a/manifests/b/manifests/latest` is the manifest `latest` of repository `a/manifests/b`.
 * Returns `undefined` when no route matches (an empty name counts as no match).
 *
 * @example parseV2Route("library/ubuntu/blobs/uploads/3f1c…") // { kind: "blob-upload", name: "library/ubuntu", sessionId: "3f1c…" }
 */
export function parseV2Route(remainder: string): V2Route | undefined {
  const path = remainder.startsWith("/") ? remainder.slice(1) : remainder;
  if (path === "") return { kind: "base" };
  if (path === "_catalog") return { kind: "catalog" };

  const s = path.split("/");
  const n = s.length;
  const at = (i: number): string | undefined => s[n + i];
  const nameBefore = (count: number): string | undefined => {
    const name = s.slice(0, n - count).join("/");
    return name === "" ? undefined : name;
  };

  // Upload routes first: ".../blobs/uploads/<id>" and ".../blobs/uploads[/]".
  if (at(-3) === "blobs" && at(-2) === "uploads") {
    const name = nameBefore(3);
    if (name === undefined) return undefined;
    const sessionId = at(-1)!;
    return sessionId === "" ? { kind: "blob-upload-start", name } : { kind: "blob-upload", name, sessionId };
  }
  if (at(-2) === "blobs" && at(-1) === "uploads") {
    const name = nameBefore(2);
    return name === undefined ? undefined : { kind: "blob-upload-start", name };
  }

  if (n < 3) return undefined;
  const name = nameBefore(2);
  const last = at(-1)!;
  if (name === undefined || last === "") return undefined;
  switch (at(-2)) {
    case "manifests":
      return { kind: "manifest", name, reference: last };
    case "blobs":
      return { kind: "blob", name, digest: last };
    case "referrers":
      return { kind: "referrers", name, digest: last };
    case "tags":
      return last === "list" ? { kind: "tags", name } : undefined;
    default:
      return undefined;
  }
}
