/**
 * Core's domain errors and their Harbor-style wire form `{"errors":[{"code","message"}]}`.
 * Stores and services throw these; only `errorHandler` turns them into responses.
 */
import type { ErrorRequestHandler } from "express";
import { ApiError, BadRequestError, apiErrorHandler } from "@berth/http";
import type { Logger } from "@berth/logger";
import type { z } from "zod";

export { ApiError, BadRequestError, errorBody } from "@berth/http";

export class UnauthorizedError extends ApiError {
  constructor(message = "unauthorized") {
    super(401, "UNAUTHORIZED", message);
  }
}
export class ForbiddenError extends ApiError {
  constructor(message = "forbidden") {
    super(403, "FORBIDDEN", message);
  }
}
export class NotFoundError extends ApiError {
  constructor(message = "not found") {
    super(404, "NOT_FOUND", message);
  }
}
export class ConflictError extends ApiError {
  constructor(message: string) {
    super(409, "CONFLICT", message);
  }
}
export class PreconditionFailedError extends ApiError {
  constructor(message: string) {
    super(412, "PRECONDITION", message);
  }
}
/** 429 with `Retry-After` (seconds). */
export class TooManyRequestsError extends ApiError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, "TOO_MANY_REQUEST", message);
  }
}
export class UpstreamError extends ApiError {
  constructor(message: string) {
    super(502, "UPSTREAM_ERROR", message);
  }
}

/** Parses `input` with `schema`, turning every zod issue into one 400. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new BadRequestError(parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; "));
}

/** Maps errors to Harbor's error body; unknown errors become 500 with the request id, no stack. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return apiErrorHandler(logger, (err, res) => {
    if (err.status === 401 && !res.hasHeader("WWW-Authenticate")) res.setHeader("WWW-Authenticate", 'Basic realm="berth"');
    if (err instanceof TooManyRequestsError) res.setHeader("Retry-After", String(err.retryAfterSeconds));
  });
}
