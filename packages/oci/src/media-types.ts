/**
 * Media types of the OCI Image spec, Docker Image Manifest V2 (schema 2) and a few well-known
 * artifact types, plus small helpers for media-type strings.
 *
 * @packageDocumentation
 */

/** OCI image manifest (`schemaVersion: 2`, `config` + `layers`). */
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
/** OCI image index (`schemaVersion: 2`, `manifests`). */
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** OCI image configuration blob. */
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
/** Uncompressed OCI layer. */
export const OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
/** gzip-compressed OCI layer. */
export const OCI_LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
/** zstd-compressed OCI layer. */
export const OCI_LAYER_TAR_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
/** Deprecated non-distributable OCI layer (image-spec 1.1 deprecates these; still accepted). */
export const OCI_LAYER_NONDISTRIBUTABLE_TAR = "application/vnd.oci.image.layer.nondistributable.v1.tar";
/** Deprecated non-distributable gzip OCI layer. */
export const OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP =
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
/** Deprecated non-distributable zstd OCI layer. */
export const OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD =
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
/** The empty JSON object `{}`, used as config (or layer) of artifacts that have none. */
export const OCI_EMPTY = "application/vnd.oci.empty.v1+json";

/** Docker Image Manifest V2, schema 2. */
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
/** Docker manifest list ("fat manifest"). */
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
/** Docker container image configuration blob. */
export const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
/** gzip-compressed Docker layer. */
export const DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/** Docker "foreign" layer (fetched from `urls`, e.g. Windows base layers). */
export const DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
/** Docker plugin configuration blob. */
export const DOCKER_PLUGIN_CONFIG = "application/vnd.docker.plugin.v1+json";

/** Docker schema 1 manifest (unsigned). Berth rejects schema 1. */
export const DOCKER_SCHEMA1_MANIFEST = "application/vnd.docker.distribution.manifest.v1+json";
/** Docker schema 1 signed manifest (JWS). Berth rejects schema 1. */
export const DOCKER_SCHEMA1_SIGNED_MANIFEST = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/** Helm chart config blob (`helm push` to an OCI registry). */
export const HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json";
/** Helm chart content layer. */
export const HELM_CHART_CONTENT = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/** Helm chart provenance layer. */
export const HELM_CHART_PROVENANCE = "application/vnd.cncf.helm.chart.provenance.v1.prov";

/** The four manifest media types Berth stores and serves. */
export type ManifestMediaType =
  | typeof OCI_MANIFEST
  | typeof OCI_INDEX
  | typeof DOCKER_MANIFEST
  | typeof DOCKER_MANIFEST_LIST;

/** Every manifest media type Berth accepts on push, in no particular order. */
export const MANIFEST_MEDIA_TYPES: readonly ManifestMediaType[] = [
  OCI_MANIFEST,
  OCI_INDEX,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
];

/** Schema 1 media types, recognised only so they can be rejected with a clear message. */
export const SCHEMA1_MEDIA_TYPES: readonly string[] = [DOCKER_SCHEMA1_MANIFEST, DOCKER_SCHEMA1_SIGNED_MANIFEST];

/**
 * The OCI empty descriptor: `{}` (2 bytes), with its content embedded in `data`.
 * Used as config of artifacts without one (image-spec 1.1 "guidance for an empty descriptor").
 */
export const EMPTY_DESCRIPTOR = Object.freeze({
  mediaType: OCI_EMPTY,
  digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  size: 2,
  data: "e30=",
} as const);

/** True for one of the four supported manifest media types. */
export function isManifestMediaType(mediaType: string): mediaType is ManifestMediaType {
  return (MANIFEST_MEDIA_TYPES as readonly string[]).includes(mediaType);
}

/** True for an index-like manifest (OCI image index or Docker manifest list). */
export function isIndexMediaType(mediaType: string): mediaType is typeof OCI_INDEX | typeof DOCKER_MANIFEST_LIST {
  return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

/** True for an image-manifest-like type (OCI image manifest or Docker schema 2 manifest). */
export function isImageManifestMediaType(
  mediaType: string,
): mediaType is typeof OCI_MANIFEST | typeof DOCKER_MANIFEST {
  return mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST;
}

/** True for a Docker schema 1 media type. */
export function isSchema1MediaType(mediaType: string): boolean {
  return SCHEMA1_MEDIA_TYPES.includes(mediaType);
}

/**
 * True for layers that registries do not have to hold: Docker foreign layers and the (deprecated)
 * OCI non-distributable layers. Their content is fetched from the descriptor's `urls`.
 */
export function isNondistributableMediaType(mediaType: string): boolean {
  return (
    mediaType === DOCKER_FOREIGN_LAYER ||
    mediaType === OCI_LAYER_NONDISTRIBUTABLE_TAR ||
    mediaType === OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP ||
    mediaType === OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD
  );
}

// RFC 6838 section 4.2: restricted-name = restricted-name-first *126restricted-name-chars
const RESTRICTED_NAME = "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}";
const MEDIA_TYPE_RE = new RegExp(`^${RESTRICTED_NAME}/${RESTRICTED_NAME}$`);

/**
 * True when `value` is a bare RFC 6838 media type (`type/subtype`, no parameters), the form the
 * image spec requires for descriptor `mediaType` and `artifactType`.
 */
export function isValidMediaType(value: string): boolean {
  return MEDIA_TYPE_RE.test(value);
}

/**
 * The essence of a `Content-Type` header value: parameters stripped, trimmed, lower-cased
 * (media types are case-insensitive). Returns `undefined` for an absent or blank header.
 *
 * @example normalizeContentType("Application/vnd.oci.image.manifest.v1+json; charset=utf-8")
 *          // "application/vnd.oci.image.manifest.v1+json"
 */
export function normalizeContentType(header: string | undefined | null): string | undefined {
  if (header == null) return undefined;
  const essence = header.split(";", 1)[0]!.trim().toLowerCase();
  return essence === "" ? undefined : essence;
}
