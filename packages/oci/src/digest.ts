/**
 * Content digests (`algorithm:encoded`) per the OCI image spec, "Digests" section:
 *
 * ```
 * digest              ::= algorithm ":" encoded
 * algorithm           ::= algorithm-component (algorithm-separator algorithm-component)*
 * algorithm-component ::= [a-z0-9]+
 * algorithm-separator ::= [+._-]
 * encoded             ::= [a-zA-Z0-9=_-]+
 * ```
 *
 * Berth supports the two registered algorithms: sha256 (64 lowercase hex) and sha512
 * (128 lowercase hex). A string that breaks the grammar, or a supported algorithm with a wrong
 * encoded part, is a {@link DigestInvalidError} (wire: DIGEST_INVALID); a well-formed digest with
 * any other algorithm (sha384, blake3, made-up) is an {@link UnsupportedDigestAlgorithmError}
 * (wire: UNSUPPORTED or DIGEST_INVALID, the registry's choice).
 *
 * @packageDocumentation
 */
import { createHash, type Hash } from "node:crypto";
import { DigestInvalidError, UnsupportedDigestAlgorithmError } from "./domain-errors.js";

/** A digest string that passed {@link parseDigest}: supported algorithm, correctly encoded. */
export type Digest = string & { readonly __brand: "@berth/oci/Digest" };

/** Digest algorithms Berth can compute and verify. */
export type DigestAlgorithm = "sha256" | "sha512";

/** Supported algorithms with the length of their lowercase-hex encoding. */
export const DIGEST_ALGORITHMS: Readonly<Record<DigestAlgorithm, { readonly hexLength: number }>> = {
  sha256: { hexLength: 64 },
  sha512: { hexLength: 128 },
};

/** The algorithm used when none is requested (spec: clients may assume sha256). */
export const DEFAULT_DIGEST_ALGORITHM: DigestAlgorithm = "sha256";

/**
 * Upper bound on the length of any digest string we look at. Not in the spec; a supported digest is at
 * most 135 characters, and bounding input keeps regexes and error messages cheap.
 */
export const MAX_DIGEST_LENGTH = 255;

const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const LOWER_HEX = /^[a-f0-9]+$/;

/** True when `algorithm` is one Berth supports. */
export function isSupportedDigestAlgorithm(algorithm: string): algorithm is DigestAlgorithm {
  return Object.hasOwn(DIGEST_ALGORITHMS, algorithm);
}

/**
 * Validates a digest string and returns it branded.
 *
 * @throws {DigestInvalidError} grammar violation, or wrong length/charset for sha256/sha512.
 * @throws {UnsupportedDigestAlgorithmError} well-formed, but the algorithm is not sha256/sha512.
 */
export function parseDigest(value: string): Digest {
  if (value.length === 0) throw new DigestInvalidError(value, "empty digest");
  if (value.length > MAX_DIGEST_LENGTH) {
    throw new DigestInvalidError(value, `longer than ${MAX_DIGEST_LENGTH} characters`);
  }
  if (!DIGEST_GRAMMAR.test(value)) {
    throw new DigestInvalidError(value, "does not match algorithm:encoded grammar");
  }
  const colon = value.indexOf(":");
  const algorithm = value.slice(0, colon);
  const encoded = value.slice(colon + 1);
  if (!isSupportedDigestAlgorithm(algorithm)) throw new UnsupportedDigestAlgorithmError(value, algorithm);
  const { hexLength } = DIGEST_ALGORITHMS[algorithm];
  if (encoded.length !== hexLength || !LOWER_HEX.test(encoded)) {
    throw new DigestInvalidError(value, `${algorithm} requires ${hexLength} lowercase hex characters`);
  }
  return value as Digest;
}

/** True when {@link parseDigest} would accept `value`. */
export function isDigest(value: string): value is Digest {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

/** The algorithm part of a validated digest. */
export function digestAlgorithm(digest: Digest): DigestAlgorithm {
  return digest.slice(0, digest.indexOf(":")) as DigestAlgorithm;
}

/** The encoded (hex) part of a validated digest. */
export function digestEncoded(digest: Digest): string {
  return digest.slice(digest.indexOf(":") + 1);
}

/** Computes the digest of `content` (strings are hashed as UTF-8) with `algorithm`. */
export function computeDigest(algorithm: DigestAlgorithm, content: Uint8Array | string): Digest {
  return `${algorithm}:${createHash(algorithm).update(content).digest("hex")}` as Digest;
}

/** sha256 digest of `content` (strings are hashed as UTF-8). */
export function sha256Digest(content: Uint8Array | string): Digest {
  return computeDigest("sha256", content);
}

/** True when `content` hashes to `digest` under the digest's own algorithm. */
export function digestMatches(digest: Digest, content: Uint8Array | string): boolean {
  return computeDigest(digestAlgorithm(digest), content) === digest;
}

/** Incremental hasher for streamed content such as chunked blob uploads. */
export interface Digester {
  /** The algorithm this digester computes. */
  readonly algorithm: DigestAlgorithm;
  /** Feeds a chunk; returns the digester for chaining. */
  update(chunk: Uint8Array): Digester;
  /** Finishes and returns the digest. Call once. */
  digest(): Digest;
}

/** Creates a {@link Digester} for `algorithm` (default sha256). */
export function createDigester(algorithm: DigestAlgorithm = DEFAULT_DIGEST_ALGORITHM): Digester {
  const hash: Hash = createHash(algorithm);
  const digester: Digester = {
    algorithm,
    update(chunk) {
      hash.update(chunk);
      return digester;
    },
    digest() {
      return `${algorithm}:${hash.digest("hex")}` as Digest;
    },
  };
  return digester;
}
