/**
 * Content descriptors (OCI image spec "Descriptors", also used by Docker schema 2) and their
 * validation. Validation failures throw {@link ManifestInvalidError} with the JSON location.
 *
 * @packageDocumentation
 */
import { computeDigest, digestAlgorithm, parseDigest, type Digest } from "./digest.js";
import { ManifestInvalidError, OciDomainError } from "./domain-errors.js";
import { isValidMediaType } from "./media-types.js";

/** Platform of an index entry (OCI image index / Docker manifest list). */
export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly "os.version"?: string;
  readonly "os.features"?: readonly string[];
  readonly variant?: string;
  readonly features?: readonly string[];
}

/** A validated, normalised descriptor. Unknown fields are dropped. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
  readonly artifactType?: string;
  /** Embedded base64 content (image-spec 1.1). */
  readonly data?: string;
}

/** A JSON object, as produced by `JSON.parse`. Internal to this package. @internal */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not null, not an array). Internal to this package. @internal */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Throws a {@link ManifestInvalidError} at `path`. Internal to this package. @internal */
export function invalid(path: string, reason: string, cause?: unknown): never {
  throw new ManifestInvalidError(reason, path, cause === undefined ? undefined : { cause });
}

/** Validates an optional string; `undefined` when absent. Internal to this package. @internal */
export function optionalString(obj: JsonObject, key: string, path: string): string | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string") invalid(`${path}${key}`, "must be a string");
  return value;
}

/** Validates an optional media type (RFC 6838); empty string counts as absent. Internal to this package. @internal */
export function optionalMediaType(obj: JsonObject, key: string, path: string): string | undefined {
  const value = optionalString(obj, key, path);
  if (value === undefined || value === "") return undefined;
  if (!isValidMediaType(value)) invalid(`${path}${key}`, `${JSON.stringify(value)} is not a valid media type`);
  return value;
}

/** Validates an optional `annotations` map of string to string. Internal to this package. @internal */
export function optionalAnnotations(obj: JsonObject, path: string): Readonly<Record<string, string>> | undefined {
  const value = obj["annotations"];
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) invalid(`${path}annotations`, "must be an object of strings");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") invalid(`${path}annotations[${JSON.stringify(k)}]`, "must be a string");
    out[k] = v;
  }
  return out;
}

function optionalStringArray(obj: JsonObject, key: string, path: string): string[] | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) invalid(`${path}${key}`, "must be an array of strings");
  value.forEach((item, i) => {
    if (typeof item !== "string") invalid(`${path}${key}[${i}]`, "must be a string");
  });
  return value as string[];
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function parsePlatform(value: unknown, path: string): Platform {
  if (!isJsonObject(value)) invalid(path, "must be an object");
  const p = `${path}.`;
  const architecture = value["architecture"];
  const os = value["os"];
  if (typeof architecture !== "string" || architecture === "") invalid(`${p}architecture`, "required string");
  if (typeof os !== "string" || os === "") invalid(`${p}os`, "required string");
  const osVersion = optionalString(value, "os.version", p);
  const osFeatures = optionalStringArray(value, "os.features", p);
  const variant = optionalString(value, "variant", p);
  const features = optionalStringArray(value, "features", p);
  return {
    architecture,
    os,
    ...(osVersion !== undefined && { "os.version": osVersion }),
    ...(osFeatures !== undefined && { "os.features": osFeatures }),
    ...(variant !== undefined && { variant }),
    ...(features !== undefined && { features }),
  };
}

/**
 * Validates one descriptor: `mediaType` (RFC 6838), `digest` (supported and well-formed), `size`
 * (non-negative safe integer); optional `urls` (absolute URLs), `annotations` (string map),
 * `platform`, `artifactType`, `data` (base64; decoded content must match `size` and `digest`).
 *
 * @param path location used in error messages, e.g. `layers[0]`.
 * @throws {ManifestInvalidError} with `cause` set to the digest error for bad digests.
 */
export function parseDescriptor(value: unknown, path: string): Descriptor {
  if (!isJsonObject(value)) invalid(path, "descriptor must be an object");
  const p = `${path}.`;

  const mediaType = value["mediaType"];
  if (typeof mediaType !== "string" || mediaType === "") invalid(`${p}mediaType`, "required string");
  if (!isValidMediaType(mediaType)) invalid(`${p}mediaType`, `${JSON.stringify(mediaType)} is not a valid media type`);

  const rawDigest = value["digest"];
  if (typeof rawDigest !== "string") invalid(`${p}digest`, "required string");
  let digest: Digest;
  try {
    digest = parseDigest(rawDigest);
  } catch (err) {
    invalid(`${p}digest`, err instanceof OciDomainError ? err.message : "invalid digest", err);
  }

  const size = value["size"];
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    invalid(`${p}size`, "required non-negative integer");
  }

  const urls = optionalStringArray(value, "urls", p);
  urls?.forEach((url, i) => {
    if (!URL.canParse(url)) invalid(`${p}urls[${i}]`, "must be an absolute URL");
  });
  const annotations = optionalAnnotations(value, p);
  const platform = value["platform"] === undefined || value["platform"] === null
    ? undefined
    : parsePlatform(value["platform"], `${p}platform`);
  const artifactType = optionalMediaType(value, "artifactType", p);
  const data = optionalString(value, "data", p);
  if (data !== undefined) {
    if (!BASE64.test(data)) invalid(`${p}data`, "must be base64");
    const bytes = Buffer.from(data, "base64");
    if (bytes.byteLength !== size) invalid(`${p}data`, "decoded length does not match size");
    if (computeDigest(digestAlgorithm(digest), bytes) !== digest) invalid(`${p}data`, "content does not match digest");
  }

  return {
    mediaType,
    digest,
    size,
    ...(urls !== undefined && { urls }),
    ...(annotations !== undefined && { annotations }),
    ...(platform !== undefined && { platform }),
    ...(artifactType !== undefined && { artifactType }),
    ...(data !== undefined && { data }),
  };
}

/** Validates an array of descriptors at `key`; absent or `null` yields `[]` (as Distribution does). Internal to this package. @internal */
export function parseDescriptorList(obj: JsonObject, key: string): Descriptor[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) invalid(key, "must be an array of descriptors");
  return value.map((item, i) => parseDescriptor(item, `${key}[${i}]`));
}
