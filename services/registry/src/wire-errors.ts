/**
 * The ONE mapping from domain errors (of @berth/oci, @berth/registry-store, @berth/storage, @berth/db
 * and this service's request parsing) to OCI wire errors `{errors:[{code,message,detail}]}` with the
 * spec's status codes. A stalled or unreachable database is 503 UNAVAILABLE with `Retry-After`, as
 * Distribution answers; anything unrecognised is UNKNOWN/500 with the request id, logged, and no
 * stack trace.
 */
import type { Response } from "express";
import { DatabaseUnavailableError } from "@berth/db/errors";
import { LogThrottle } from "@berth/http";
import {
  DigestInvalidError,
  ManifestInvalidError,
  ManifestTooLargeError,
  NameInvalidError,
  OCI_ERROR_CODES,
  TagInvalidError,
  UnsupportedDigestAlgorithmError,
  toOciErrorsBody,
  type OciErrorCode,
  type OciErrorInput,
} from "@berth/oci";
import {
  BlobUnknownError,
  DigestMismatchError,
  DescriptorSizeMismatchError,
  ManifestBlobUnknownError,
  ManifestReferencedError,
  ManifestUnknownError,
  NameUnknownError,
  QuotaExceededError,
  RangeInvalidError,
  SizeInvalidError,
  TagImmutableError,
  UploadUnknownError,
} from "@berth/registry-store";
import { PathNotFoundError } from "@berth/storage";
import { ProxyReadOnlyError, UpstreamUnavailableError } from "./proxy/proxy-errors.js";
import type { Logger } from "@berth/logger";

/** A client mistake found while parsing the request itself (headers, query). */
export class RequestInvalidError extends Error {
  override name = "RequestInvalidError";
  constructor(
    readonly code: OciErrorCode,
    message: string,
    readonly detail?: Record<string, unknown>,
    readonly status: number = OCI_ERROR_CODES[code].status,
  ) {
    super(message);
  }
}

/**
 * The most entries one error body lists. A manifest naming 20,000 unknown layers gets the first
 * ones and a count of the rest, not a body of megabytes (clients re-upload what the first entries
 * name and retry; the next answer names the next ones).
 */
export const MAX_ERROR_ENTRIES = 100;

/** `errors` cut at {@link MAX_ERROR_ENTRIES}, the last entry saying how many more there were. */
function capped(errors: OciErrorInput[]): OciErrorInput[] {
  if (errors.length <= MAX_ERROR_ENTRIES) return errors;
  const kept = errors.slice(0, MAX_ERROR_ENTRIES - 1);
  const more = errors.length - kept.length;
  const last = errors[kept.length]!;
  return [...kept, { code: last.code, message: `and ${more} more such errors (not listed)`, detail: { omitted: more } }];
}

/** A wire error: status plus body entries (and, for 503, when to retry). */
export interface WireError {
  status: number;
  errors: OciErrorInput[];
  retryAfterSeconds?: number;
}

function one(code: OciErrorCode, message: string, detail?: unknown, status: number = OCI_ERROR_CODES[code].status): WireError {
  return { status, errors: [{ code, message, detail }] };
}

/** `prevent_vul` refused a manifest GET: Harbor's 412 with its message (naming the CVE ids that block it). */
export class PullBlockedError extends Error {
  override name = "PullBlockedError";
  constructor(
    message: string,
    readonly detail: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The wire error for a known domain error, or `undefined` for an unexpected one. */
export function toWireError(err: unknown): WireError | undefined {
  if (err instanceof RequestInvalidError) return one(err.code, err.message, err.detail, err.status);
  if (err instanceof PullBlockedError) return one("PROJECTPOLICYVIOLATION", err.message, err.detail);
  if (err instanceof NameInvalidError) return one("NAME_INVALID", err.message, err.detail);
  if (err instanceof DigestInvalidError || err instanceof UnsupportedDigestAlgorithmError) return one("DIGEST_INVALID", err.message, err.detail);
  if (err instanceof TagInvalidError) return one("TAG_INVALID", err.message, err.detail);
  if (err instanceof ManifestTooLargeError) return one("MANIFEST_INVALID", err.message, err.detail, 413);
  if (err instanceof ManifestInvalidError) return one("MANIFEST_INVALID", err.message, err.detail);
  if (err instanceof NameUnknownError) return one("NAME_UNKNOWN", err.message, err.detail);
  if (err instanceof BlobUnknownError) return one("BLOB_UNKNOWN", err.message, err.detail);
  if (err instanceof ManifestUnknownError) return one("MANIFEST_UNKNOWN", err.message, err.detail);
  if (err instanceof ManifestBlobUnknownError) {
    return {
      status: 400,
      errors: [
        ...err.blobs.map((digest) => ({ code: "MANIFEST_BLOB_UNKNOWN" as const, message: `blob ${digest} is not known in this repository`, detail: { digest } })),
        ...err.manifests.map((digest) => ({ code: "MANIFEST_UNKNOWN" as const, message: `child manifest ${digest} is not known in this repository`, detail: { digest } })),
      ],
    };
  }
  if (err instanceof DescriptorSizeMismatchError) {
    return {
      status: 400,
      errors: err.mismatches.map((m) => ({
        code: "MANIFEST_INVALID" as const,
        message: `descriptor of ${m.digest} states ${m.declared} bytes; the stored content has ${m.actual}`,
        detail: m,
      })),
    };
  }
  if (err instanceof ManifestReferencedError) return one("DENIED", err.message, err.detail, 409);
  if (err instanceof QuotaExceededError) return one("DENIED", err.message, err.detail, 403);
  if (err instanceof TagImmutableError) return one("DENIED", err.message, err.detail, 403);
  if (err instanceof ProxyReadOnlyError) return one("DENIED", err.message, { project: err.project, registry: err.registry }, 403);
  if (err instanceof UpstreamUnavailableError) {
    return one(err.kind === "manifest" ? "MANIFEST_UNKNOWN" : "BLOB_UNKNOWN", err.message, { upstream: err.registry, reason: err.reason }, 404);
  }
  if (err instanceof UploadUnknownError) return one("BLOB_UPLOAD_UNKNOWN", err.message, err.detail);
  if (err instanceof RangeInvalidError) return one("RANGE_INVALID", err.message, err.detail);
  if (err instanceof DigestMismatchError) return one("DIGEST_INVALID", err.message, err.detail);
  if (err instanceof SizeInvalidError) return one("SIZE_INVALID", err.message, err.detail);
  const unavailable = DatabaseUnavailableError.from(err);
  if (unavailable) return { ...one("UNAVAILABLE", "the registry's database is not answering; try again later"), retryAfterSeconds: unavailable.retryAfterSeconds };
  return undefined;
}

/** 503s come in floods while the database is stalled: one log line a minute. */
const unavailableLog = new LogThrottle();

/**
 * Answers `err` on `res` (unless headers are already out, in which case the response is cut).
 * Storage "not found" for a blob the database lists is logged as an inconsistency and answered
 * BLOB_UNKNOWN, so the client uploads again.
 */
export function sendError(res: Response, err: unknown, logger: Logger): void {
  const requestId = res.locals["requestId"] as string | undefined;
  let wire = toWireError(err);
  if (wire === undefined && err instanceof PathNotFoundError) {
    logger.warn("blob content missing from storage", { requestId, path: err.path });
    wire = one("BLOB_UNKNOWN", "blob unknown to registry", undefined);
  }
  if (wire === undefined) {
    logger.error("unexpected error", { requestId, err });
    wire = one("UNKNOWN", "unknown error", { requestId });
  }
  if (wire.retryAfterSeconds !== undefined) {
    unavailableLog.run((heldBack) => logger.warn(`answering 503: ${DatabaseUnavailableError.from(err)?.message}`, { requestId, similarSinceLast: heldBack }));
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(toOciErrorsBody(capped(wire.errors)));
  // Validators and freshness the success path may have set describe content, not this error.
  for (const header of ["Cache-Control", "ETag", "Last-Modified", "Accept-Ranges"]) res.removeHeader(header);
  res.status(wire.status);
  if (wire.retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(wire.retryAfterSeconds));
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** Sends an error body with an explicit code (used for challenges and routing misses). */
export function sendWireError(res: Response, status: number, code: OciErrorCode, message: string, detail?: unknown): void {
  const body = JSON.stringify(toOciErrorsBody([{ code, message, detail }]));
  res.status(status);
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(res.req.method === "HEAD" ? undefined : body);
}
