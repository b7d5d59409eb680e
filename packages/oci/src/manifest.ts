/**
 * Parsing and validation of manifest bodies on push: OCI image manifest, OCI image index,
 * Docker schema 2 manifest and Docker manifest list. Schema 1 is rejected.
 *
 * The registry must store the exact bytes it received; {@link parseManifest} only reads them and
 * returns a normalised view ({@link ParsedManifest}) for validation, reference checks and indexing.
 *
 * @packageDocumentation
 */
import {
  invalid,
  isJsonObject,
  optionalAnnotations,
  optionalMediaType,
  optionalString,
  parseDescriptor,
  parseDescriptorList,
  type Descriptor,
  type JsonObject,
} from "./descriptor.js";
import {
  ManifestInvalidError,
  ManifestTooLargeError,
  ManifestUnsupportedMediaTypeError,
  ManifestUnsupportedSchemaError,
} from "./domain-errors.js";
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_INDEX,
  OCI_MANIFEST,
  isImageManifestMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isNondistributableMediaType,
  isSchema1MediaType,
  normalizeContentType,
  type ManifestMediaType,
} from "./media-types.js";

/** Default manifest size limit: 4 MiB, the minimum the spec asks registries to support. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * `Content-Type` values treated as "not specified": the type is then taken from the body's
 * `mediaType`, or inferred from its shape. Anything else that is not a manifest type is rejected.
 */
export const UNSPECIFIED_CONTENT_TYPES: readonly string[] = ["application/json", "application/octet-stream"];

/** Normalised view of a valid manifest. Unknown fields are not carried over. */
export interface ParsedManifest {
  /** The manifest's type (from `Content-Type`, else body `mediaType`, else inferred). */
  readonly mediaType: ManifestMediaType;
  readonly schemaVersion: 2;
  /** `artifactType` of an OCI manifest or index, when set and non-empty. */
  readonly artifactType?: string;
  /** Config descriptor of an image manifest (OCI or Docker schema 2); absent for indexes. */
  readonly config?: Descriptor;
  /** Layers of an image manifest; empty for indexes. */
  readonly layers: readonly Descriptor[];
  /** Child manifests of an index / manifest list; empty for image manifests. */
  readonly manifests: readonly Descriptor[];
  /** `subject` of an OCI manifest or index (the manifest this one refers to). */
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Options for {@link parseManifest}. */
export interface ParseManifestOptions {
  /** Size limit in bytes; defaults to {@link MAX_MANIFEST_BYTES}. */
  readonly maxBytes?: number;
}

/**
 * Throws when a manifest body of `byteLength` bytes exceeds `limit`. Call it before buffering the
 * body when `Content-Length` is known, so oversized pushes are refused early.
 *
 * @throws {ManifestTooLargeError}
 */
export function assertManifestSize(byteLength: number, limit: number = MAX_MANIFEST_BYTES): void {
  if (byteLength > limit) throw new ManifestTooLargeError(byteLength, limit);
}

/**
 * Parses and validates a manifest body pushed with the given `Content-Type` header.
 *
 * - Manifest type: the `Content-Type` essence when it is one of the four manifest types; when the
 *   header is absent or one of {@link UNSPECIFIED_CONTENT_TYPES}, the body's `mediaType`; failing
 *   both, inferred from shape (`manifests` → OCI index, `config` → OCI manifest).
 * - A body `mediaType` must equal the `Content-Type` when both are present. Docker types require it.
 * - `schemaVersion` must be 2; schema 1 (by header, body `mediaType` or `schemaVersion: 1`) is
 *   rejected with {@link ManifestUnsupportedSchemaError}.
 * - Image manifests must not carry `manifests`, indexes must not carry `config`/`layers`
 *   (the CVE-2021-41190 "content confusion" rule).
 * - Any config media type / `artifactType` is accepted (Helm, SBOMs, signatures, …).
 *
 * @throws {ManifestTooLargeError} body over the size limit.
 * @throws {ManifestUnsupportedSchemaError} schema 1.
 * @throws {ManifestUnsupportedMediaTypeError} `Content-Type` or body `mediaType` is not a manifest type.
 * @throws {ManifestInvalidError} anything else.
 */
export function parseManifest(
  body: Uint8Array | string,
  contentType?: string | null,
  options: ParseManifestOptions = {},
): ParsedManifest {
  const size = typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.byteLength;
  assertManifestSize(size, options.maxBytes);

  const header = normalizeContentType(contentType);
  if (header !== undefined && isSchema1MediaType(header)) throw schema1Error(header);

  const doc = decodeJson(body);
  const bodyMediaType = optionalString(doc, "mediaType", "");
  if (bodyMediaType !== undefined && isSchema1MediaType(bodyMediaType)) throw schema1Error(bodyMediaType);
  if (doc["schemaVersion"] === 1) {
    throw new ManifestUnsupportedSchemaError(
      "schemaVersion 1 (Docker image manifest schema 1) is not supported; push schema 2 or OCI manifests",
    );
  }
  if (doc["schemaVersion"] !== 2) invalid("schemaVersion", "must be 2");

  const mediaType = resolveMediaType(header, bodyMediaType === "" ? undefined : bodyMediaType, doc);

  if (isImageManifestMediaType(mediaType)) {
    if (doc["manifests"] !== undefined) invalid("manifests", "not allowed in an image manifest");
    return parseImageManifest(doc, mediaType);
  }
  if (doc["config"] !== undefined) invalid("config", "not allowed in an index");
  if (doc["layers"] !== undefined) invalid("layers", "not allowed in an index");
  return parseIndex(doc, mediaType);
}

function schema1Error(mediaType: string): ManifestUnsupportedSchemaError {
  return new ManifestUnsupportedSchemaError(
    `${mediaType} (Docker image manifest schema 1) is not supported; push schema 2 or OCI manifests`,
  );
}

function decodeJson(body: Uint8Array | string): JsonObject {
  let text: string;
  try {
    text = typeof body === "string" ? body : new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body);
  } catch (err) {
    throw new ManifestInvalidError("body is not valid UTF-8", undefined, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ManifestInvalidError("body is not valid JSON", undefined, { cause: err });
  }
  if (!isJsonObject(doc)) throw new ManifestInvalidError("body must be a JSON object");
  return doc;
}

function resolveMediaType(
  header: string | undefined,
  bodyMediaType: string | undefined,
  doc: JsonObject,
): ManifestMediaType {
  const unspecified = header === undefined || UNSPECIFIED_CONTENT_TYPES.includes(header);
  if (!unspecified && !isManifestMediaType(header)) throw new ManifestUnsupportedMediaTypeError(header);
  if (bodyMediaType !== undefined && !isManifestMediaType(bodyMediaType)) {
    if (unspecified) throw new ManifestUnsupportedMediaTypeError(bodyMediaType);
    invalid("mediaType", `${JSON.stringify(bodyMediaType)} does not match Content-Type ${JSON.stringify(header)}`);
  }

  let mediaType: ManifestMediaType;
  if (!unspecified) {
    mediaType = header as ManifestMediaType;
    if (bodyMediaType !== undefined && bodyMediaType !== mediaType) {
      invalid("mediaType", `${JSON.stringify(bodyMediaType)} does not match Content-Type ${JSON.stringify(header)}`);
    }
  } else if (bodyMediaType !== undefined) {
    mediaType = bodyMediaType as ManifestMediaType;
  } else if (doc["manifests"] !== undefined) {
    mediaType = OCI_INDEX;
  } else if (doc["config"] !== undefined) {
    mediaType = OCI_MANIFEST;
  } else {
    throw new ManifestInvalidError("cannot determine the manifest type: no Content-Type and no mediaType");
  }

  if ((mediaType === DOCKER_MANIFEST || mediaType === DOCKER_MANIFEST_LIST) && bodyMediaType === undefined) {
    invalid("mediaType", `required for ${mediaType}`);
  }
  return mediaType;
}

function parseImageManifest(
  doc: JsonObject,
  mediaType: typeof OCI_MANIFEST | typeof DOCKER_MANIFEST,
): ParsedManifest {
  if (doc["config"] === undefined || doc["config"] === null) invalid("config", "required");
  const config = parseDescriptor(doc["config"], "config");
  const layers = parseDescriptorList(doc, "layers");
  return { mediaType, schemaVersion: 2, config, layers, manifests: [], ...ociExtras(doc, mediaType) };
}

function parseIndex(doc: JsonObject, mediaType: typeof OCI_INDEX | typeof DOCKER_MANIFEST_LIST): ParsedManifest {
  if (!Array.isArray(doc["manifests"])) invalid("manifests", "required array of descriptors");
  const manifests = parseDescriptorList(doc, "manifests");
  return { mediaType, schemaVersion: 2, layers: [], manifests, ...ociExtras(doc, mediaType) };
}

/** `artifactType`, `subject` and `annotations` exist only in the OCI types; Docker types ignore them. */
function ociExtras(
  doc: JsonObject,
  mediaType: ManifestMediaType,
): Pick<ParsedManifest, "artifactType" | "subject" | "annotations"> {
  if (mediaType !== OCI_MANIFEST && mediaType !== OCI_INDEX) return {};
  const artifactType = optionalMediaType(doc, "artifactType", "");
  const subject =
    doc["subject"] === undefined || doc["subject"] === null ? undefined : parseDescriptor(doc["subject"], "subject");
  const annotations = optionalAnnotations(doc, "");
  return {
    ...(artifactType !== undefined && { artifactType }),
    ...(subject !== undefined && { subject }),
    ...(annotations !== undefined && { annotations }),
  };
}

/** Options for {@link referencedBlobs}. */
export interface ReferencedBlobsOptions {
  /**
   * Leave out non-distributable layers (Docker foreign / OCI nondistributable) that carry `urls`,
   * whose content lives elsewhere and need not exist in the registry. Default `false`.
   */
  readonly skipNondistributable?: boolean;
}

/**
 * Blobs an image manifest references: config first, then layers, de-duplicated by digest (Docker
 * images often repeat the empty layer). Empty for indexes. The `subject` is not included: it is a
 * manifest and may legitimately not exist yet.
 */
export function referencedBlobs(manifest: ParsedManifest, options: ReferencedBlobsOptions = {}): Descriptor[] {
  const all = manifest.config === undefined ? manifest.layers : [manifest.config, ...manifest.layers];
  const kept = options.skipNondistributable
    ? all.filter((d) => !(isNondistributableMediaType(d.mediaType) && (d.urls?.length ?? 0) > 0))
    : all;
  return uniqueByDigest(kept);
}

/**
 * Child manifests an index or manifest list references, de-duplicated by digest. Empty for image
 * manifests. The `subject` is not included (see {@link referencedBlobs}).
 */
export function referencedManifests(manifest: ParsedManifest): Descriptor[] {
  return isIndexMediaType(manifest.mediaType) ? uniqueByDigest(manifest.manifests) : [];
}

function uniqueByDigest(descriptors: readonly Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return descriptors.filter((d) => (seen.has(d.digest) ? false : (seen.add(d.digest), true)));
}
