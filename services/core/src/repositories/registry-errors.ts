/**
 * Maps `@berth/registry-store`'s domain errors to core's API errors (Harbor's codes), so routes
 * can call the store directly: `await mapRegistryErrors(() => store.x(...))`.
 */
import {
  BlobUnknownError,
  ManifestBlobUnknownError,
  ManifestReferencedError,
  ManifestUnknownError,
  NameUnknownError,
  QuotaExceededError,
  TagExistsError,
} from "@berth/registry-store";
import { ManifestInvalidError, NameInvalidError, TagInvalidError, DigestInvalidError } from "@berth/oci";
import { ApiError, BadRequestError, ConflictError, NotFoundError, PreconditionFailedError } from "../errors.js";

/** 403 `DENIED` with the quota's readable message (as the registry answers a push). */
export class QuotaDeniedError extends ApiError {
  constructor(message: string) {
    super(403, "DENIED", message);
  }
}

export function toApiError(err: unknown): unknown {
  if (err instanceof NameUnknownError) return new NotFoundError(err.message);
  if (err instanceof ManifestUnknownError) return new NotFoundError(err.message);
  if (err instanceof BlobUnknownError) return new NotFoundError(err.message);
  if (err instanceof ManifestReferencedError) return new PreconditionFailedError(err.message);
  if (err instanceof TagExistsError) return new ConflictError(err.message);
  if (err instanceof QuotaExceededError) return new QuotaDeniedError(err.message);
  if (err instanceof ManifestBlobUnknownError) return new PreconditionFailedError(err.message);
  if (err instanceof NameInvalidError || err instanceof TagInvalidError || err instanceof DigestInvalidError || err instanceof ManifestInvalidError) {
    return new BadRequestError(err.message);
  }
  return err;
}

export async function mapRegistryErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toApiError(err);
  }
}
