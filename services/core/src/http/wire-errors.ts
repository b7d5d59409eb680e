/**
 * The ONE mapping from domain errors — core's (`../errors.ts`), registry-store's, `@berth/oci`'s,
 * `@berth/webhooks`' and the cron validator's — to Harbor's wire errors
 * `{"errors":[{"code","message"}]}` with their status. Stores, services and routes throw domain
 * errors only; this module is the edge. Anything unrecognised is left to `@berth/http`'s
 * handler: a client mistake express itself found keeps its 4xx, the rest is a logged 500 naming
 * the request id.
 */
import type { ErrorRequestHandler } from "express";
import { ApiError, apiErrorHandler } from "@berth/http";
import type { Logger } from "@berth/logger";
import { OciDomainError } from "@berth/oci";
import { InvalidCronError } from "@berth/queue/cron";
import {
  BlobUnknownError,
  GcRunningError,
  ManifestBlobUnknownError,
  ManifestReferencedError,
  ManifestUnknownError,
  NameUnknownError,
  QuotaExceededError,
  RegistryStoreError,
  TagExistsError,
  TagImmutableError,
  UploadUnknownError,
} from "@berth/registry-store";
import { AddressRefusedError, CallbackGoneError, CallbackUnknownError } from "@berth/webhooks";
import {
  ConflictError,
  CoreError,
  GoneError,
  IdentityProviderUnavailableError,
  InvalidInputError,
  NotFoundError,
  PermissionDeniedError,
  PreconditionFailedError,
  RateLimitedError,
  UnauthenticatedError,
  UpstreamError,
} from "../errors.js";

/** Harbor's status and code for each core domain error. */
function coreWireError(err: CoreError): ApiError {
  if (err instanceof NotFoundError) return new ApiError(404, "NOT_FOUND", err.message);
  if (err instanceof InvalidInputError) return new ApiError(400, "BAD_REQUEST", err.message);
  if (err instanceof ConflictError) return new ApiError(409, "CONFLICT", err.message);
  if (err instanceof PreconditionFailedError) return new ApiError(412, "PRECONDITION", err.message);
  if (err instanceof UnauthenticatedError) return new ApiError(401, "UNAUTHORIZED", err.message);
  if (err instanceof PermissionDeniedError) return new ApiError(403, "FORBIDDEN", err.message);
  if (err instanceof RateLimitedError) return new ApiError(429, "TOO_MANY_REQUEST", err.message);
  if (err instanceof GoneError) return new ApiError(410, "GONE", err.message);
  if (err instanceof UpstreamError) return new ApiError(502, "UPSTREAM_ERROR", err.message);
  if (err instanceof IdentityProviderUnavailableError) return new ApiError(503, "SERVICE_UNAVAILABLE", err.message);
  return new ApiError(500, "INTERNAL_SERVER_ERROR", err.message);
}

/** The registry's metadata errors, as core's API answers them (the registry answers OCI codes). */
function registryWireError(err: RegistryStoreError): ApiError {
  if (err instanceof NameUnknownError || err instanceof ManifestUnknownError || err instanceof BlobUnknownError || err instanceof UploadUnknownError) {
    return new ApiError(404, "NOT_FOUND", err.message);
  }
  if (err instanceof ManifestReferencedError || err instanceof ManifestBlobUnknownError) return new ApiError(412, "PRECONDITION", err.message);
  if (err instanceof TagExistsError) return new ApiError(409, "CONFLICT", err.message);
  // 403 DENIED with the quota's readable message, as the registry answers a push.
  if (err instanceof QuotaExceededError) return new ApiError(403, "DENIED", err.message);
  // Harbor answers 412 for an immutable tag's delete; the message names the rule.
  if (err instanceof TagImmutableError) return new ApiError(412, "PRECONDITION", err.message);
  return new ApiError(400, "BAD_REQUEST", err.message);
}

/** The wire error for a known domain error, or `undefined` for an unexpected one. */
export function toApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof CoreError) return coreWireError(err);
  if (err instanceof RegistryStoreError) return registryWireError(err);
  if (err instanceof GcRunningError) return new ApiError(409, "CONFLICT", err.message);
  if (err instanceof OciDomainError) return new ApiError(400, "BAD_REQUEST", err.message);
  if (err instanceof InvalidCronError) return new ApiError(400, "BAD_REQUEST", err.message);
  if (err instanceof AddressRefusedError) return new ApiError(400, "BAD_REQUEST", err.message);
  if (err instanceof CallbackUnknownError) return new ApiError(404, "NOT_FOUND", err.message);
  if (err instanceof CallbackGoneError) return new ApiError(410, "GONE", err.message);
  return undefined;
}

/**
 * Core's error handler: domain errors through {@link toApiError} (with Basic's challenge on 401
 * and `Retry-After` on 429), then `@berth/http`'s handler.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  const base = apiErrorHandler(logger);
  return (err: unknown, req, res, next) => {
    const wire = toApiError(err);
    if (!res.headersSent) {
      // A route may have set its success type (text/plain) before it failed; errors are JSON.
      res.removeHeader("Content-Type");
      // Not for the portal's own requests (X-Requested-With: XMLHttpRequest, as Spring and others
      // do): a Basic challenge makes the browser open its password dialog over the page.
      if (wire?.status === 401 && !res.hasHeader("WWW-Authenticate") && req.get("X-Requested-With") !== "XMLHttpRequest") res.setHeader("WWW-Authenticate", 'Basic realm="berth"');
      if (err instanceof RateLimitedError || err instanceof IdentityProviderUnavailableError) res.setHeader("Retry-After", String(err.retryAfterSeconds));
    }
    base(wire ?? err, req, res, next);
  };
}
