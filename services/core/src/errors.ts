/**
 * Core's domain errors and their Harbor-style wire form `{"errors":[{"code","message"}]}`.
 * Stores and services throw these; only `errorHandler` turns them into responses.
 */
import type { ErrorRequestHandler } from "express";
import type { Logger } from "@berth/logger";
import type { z } from "zod";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends ApiError {
  constructor(message: string) {
    super(400, "BAD_REQUEST", message);
  }
}
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

export function errorBody(code: string, message: string) {
  return { errors: [{ code, message }] };
}

/** Maps errors to Harbor's error body; unknown errors become 500 with the request id, no stack. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  const log = logger.child({ module: "errors" });
  return (err: unknown, _req, res, _next) => {
    const requestId = res.locals["requestId"] as string | undefined;
    if (err instanceof ApiError) {
      if (err.status === 401 && !res.hasHeader("WWW-Authenticate")) res.setHeader("WWW-Authenticate", 'Basic realm="berth"');
      if (err instanceof TooManyRequestsError) res.setHeader("Retry-After", String(err.retryAfterSeconds));
      res.status(err.status).json(errorBody(err.code, err.message));
      return;
    }
    // express' own body-parser errors carry a client status (malformed JSON, too large).
    const status = (err as { status?: number }).status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json(errorBody(status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", (err as Error).message));
      return;
    }
    log.error("unhandled error", { err, requestId });
    res.status(500).json(errorBody("INTERNAL_SERVER_ERROR", `internal error; request id ${requestId ?? "unknown"}`));
  };
}
