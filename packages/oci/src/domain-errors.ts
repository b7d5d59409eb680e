/**
 * Domain errors thrown by this package. They know nothing about HTTP: the registry service maps
 * them to wire errors (see `error-codes.ts`) in one place. Each carries a JSON-safe `detail`
 * suitable for the `detail` field of an OCI error body.
 *
 * @packageDocumentation
 */

/** JSON-safe structured detail attached to every domain error. */
export type ErrorDetail = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** Base class of every error thrown by `@berth/oci`. */
export abstract class OciDomainError extends Error {
  /** Structured detail for the `detail` field of the wire error. */
  readonly detail: ErrorDetail;

  protected constructor(message: string, detail: ErrorDetail, options?: ErrorOptions) {
    super(message, options);
    this.detail = detail;
  }
}

/** A digest string does not follow the digest grammar, or its encoded part is wrong for its algorithm. */
export class DigestInvalidError extends OciDomainError {
  override readonly name = "DigestInvalidError";
  /** The offending value, as received. */
  readonly value: string;

  constructor(value: string, reason: string) {
    super(`invalid digest ${JSON.stringify(truncate(value))}: ${reason}`, { digest: truncate(value), reason });
    this.value = value;
  }
}

/** A well-formed digest whose algorithm Berth does not support (anything but sha256/sha512). */
export class UnsupportedDigestAlgorithmError extends OciDomainError {
  override readonly name = "UnsupportedDigestAlgorithmError";
  /** The offending value, as received. */
  readonly value: string;
  /** The algorithm part of the digest. */
  readonly algorithm: string;

  constructor(value: string, algorithm: string) {
    super(`unsupported digest algorithm ${JSON.stringify(truncate(algorithm))}`, {
      digest: truncate(value),
      algorithm: truncate(algorithm),
    });
    this.value = value;
    this.algorithm = algorithm;
  }
}

/** A repository name does not match the spec grammar or exceeds the length limit. */
export class NameInvalidError extends OciDomainError {
  override readonly name = "NameInvalidError";
  /** The offending name, as received. */
  readonly value: string;

  constructor(value: string, reason: string) {
    super(`invalid repository name ${JSON.stringify(truncate(value))}: ${reason}`, { name: truncate(value), reason });
    this.value = value;
  }
}

/** A tag does not match `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`. */
export class TagInvalidError extends OciDomainError {
  override readonly name: string = "TagInvalidError";
  /** The offending tag, as received. */
  readonly value: string;

  constructor(value: string, reason: string) {
    super(`invalid tag ${JSON.stringify(truncate(value))}: ${reason}`, { tag: truncate(value), reason });
    this.value = value;
  }
}

/** A manifest body failed validation. `path` is a JSON-pointer-like location, e.g. `layers[2].digest`. */
export class ManifestInvalidError extends OciDomainError {
  override readonly name: string = "ManifestInvalidError";
  /** Where in the document the problem is, when known. */
  readonly path: string | undefined;

  constructor(reason: string, path?: string, options?: ErrorOptions) {
    super(path === undefined ? `manifest invalid: ${reason}` : `manifest invalid: ${path}: ${reason}`, { reason, path }, options);
    this.path = path;
  }
}

/**
 * A Docker schema 1 manifest (by `Content-Type`, body `mediaType`, or `schemaVersion: 1`).
 * Schema 1 is deprecated and removed from Docker and Distribution; Berth rejects it.
 * Subclass of {@link ManifestInvalidError}, so a generic mapping yields MANIFEST_INVALID.
 */
export class ManifestUnsupportedSchemaError extends ManifestInvalidError {
  override readonly name: string = "ManifestUnsupportedSchemaError";

  constructor(reason: string) {
    super(reason);
  }
}

/**
 * The `Content-Type` (or body `mediaType`) names something that is not a manifest type Berth
 * supports. Subclass of {@link ManifestInvalidError}.
 */
export class ManifestUnsupportedMediaTypeError extends ManifestInvalidError {
  override readonly name: string = "ManifestUnsupportedMediaTypeError";
  /** The media type that was offered. */
  readonly mediaType: string;

  constructor(mediaType: string) {
    super(`unsupported manifest media type ${JSON.stringify(truncate(mediaType))}`);
    this.mediaType = mediaType;
  }
}

/** A manifest body is larger than the configured limit (the spec suggests answering 413). */
export class ManifestTooLargeError extends OciDomainError {
  override readonly name = "ManifestTooLargeError";
  /** Size of the offered body, in bytes. */
  readonly size: number;
  /** The limit, in bytes. */
  readonly limit: number;

  constructor(size: number, limit: number) {
    super(`manifest of ${size} bytes exceeds the limit of ${limit} bytes`, { size, limit });
    this.size = size;
    this.limit = limit;
  }
}

/** Keeps hostile input from bloating messages and logs. */
function truncate(value: string, max = 256): string {
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}
