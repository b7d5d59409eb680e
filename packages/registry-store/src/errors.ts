/**
 * Domain errors of the registry store. They know nothing about HTTP: the registry service maps
 * them to OCI wire errors in one module. Each carries a JSON-safe `detail`.
 */

/** JSON-safe structured detail. */
export type StoreErrorDetail = Readonly<Record<string, unknown>>;

/** Base class of every error thrown deliberately by the registry store. */
export abstract class RegistryStoreError extends Error {
  /** Structured detail for the `detail` field of a wire error. */
  readonly detail: StoreErrorDetail;

  protected constructor(message: string, detail: StoreErrorDetail, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.detail = detail;
  }
}

/** The repository does not exist. */
export class NameUnknownError extends RegistryStoreError {
  constructor(readonly repository: string) {
    super(`repository ${repository} is not known`, { name: repository });
  }
}

/** The blob is not linked to the repository (or is being deleted by GC). */
export class BlobUnknownError extends RegistryStoreError {
  constructor(readonly digest: string) {
    super(`blob ${digest} is not known in this repository`, { digest });
  }
}

/** No manifest for this tag or digest in the repository. */
export class ManifestUnknownError extends RegistryStoreError {
  constructor(readonly reference: string) {
    super(`manifest ${reference} is not known in this repository`, reference.includes(":") ? { digest: reference } : { tag: reference });
  }
}

/** A manifest push references blobs not linked to the repository, or child manifests it lacks. */
export class ManifestBlobUnknownError extends RegistryStoreError {
  constructor(
    /** Blob digests (config, layers) that are missing. */
    readonly blobs: readonly string[],
    /** Child manifest digests (of an index) that are missing. */
    readonly manifests: readonly string[],
  ) {
    super(`manifest references ${blobs.length + manifests.length} unknown blob(s) or manifest(s): ${briefList([...blobs, ...manifests])}`, { blobs, manifests });
  }
}

/** One descriptor whose `size` is not the size of the content it names. */
export interface SizeMismatch {
  digest: string;
  /** The size the descriptor states. */
  declared: number;
  /** The size of the stored blob or manifest. */
  actual: number;
}

/**
 * A manifest push whose descriptors (config, layers, an index's manifests) state sizes other than
 * those of the stored content they name. Clients verify sizes on pull, so such a manifest could
 * never be pulled.
 */
export class DescriptorSizeMismatchError extends RegistryStoreError {
  constructor(readonly mismatches: readonly SizeMismatch[]) {
    super(`manifest states wrong sizes for ${mismatches.length} descriptor(s): ${briefList(mismatches.map((m) => m.digest))}`, { mismatches });
  }
}

/** The first few items of a list and how many more, for messages that must stay short. */
function briefList(items: readonly string[], max = 3): string {
  return items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

/** A manifest cannot be deleted because an index in the repository lists it as a child. */
export class ManifestReferencedError extends RegistryStoreError {
  constructor(
    readonly digest: string,
    /** Digests of the indexes that reference it. */
    readonly referencedBy: readonly string[],
  ) {
    super(`manifest ${digest} is referenced by ${referencedBy.join(", ")}; delete those first`, { digest, referencedBy });
  }
}

/** The upload session does not exist (never did, finished, cancelled, or in another repository). */
export class UploadUnknownError extends RegistryStoreError {
  constructor(readonly sessionId: string) {
    super(`upload ${sessionId} is not known`, { uuid: sessionId });
  }
}

/** A chunk does not start where the upload stands (out of order, overlapping, or a gap). */
export class RangeInvalidError extends RegistryStoreError {
  constructor(
    /** Bytes the session holds: the next chunk must start here. */
    readonly offset: number,
    /** The start the client sent. */
    readonly requestedStart: number | undefined,
  ) {
    super(`chunk must start at byte ${offset}${requestedStart === undefined ? "" : `, not ${requestedStart}`}`, {
      offset,
      requestedStart,
    });
  }
}

/** The uploaded (or pushed) content does not hash to the digest the client named. */
export class DigestMismatchError extends RegistryStoreError {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`content digest ${actual} does not match ${expected}`, { expected, actual });
  }
}

/** The content's length does not match what the client declared. */
export class SizeInvalidError extends RegistryStoreError {
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`received ${actual} bytes, expected ${expected}`, { expected, actual });
  }
}
