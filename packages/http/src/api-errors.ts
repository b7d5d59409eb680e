import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import { DatabaseUnavailableError } from "@berth/db/errors";
import type { Logger } from "@berth/logger";
import { LogThrottle } from "./log-throttle.js";

/**
 * An error a route throws to answer a client in Harbor's shape `{"errors":[{"code","message"}]}`
 * (core's API and the log-collector). Only {@link apiErrorHandler} turns it into a response.
 */
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

export function errorBody(code: string, message: string) {
  return { errors: [{ code, message }] };
}

/** A 404 in the same shape for paths no route serves. */
export function notFoundHandler(): RequestHandler {
  return (req, res) => {
    res.status(404).json(errorBody("NOT_FOUND", `no route for ${req.method} ${req.path}`));
  };
}

/**
 * Client mistakes keep their 4xx (ApiErrors, and express' body parser: malformed JSON 400, too
 * large 413, unsupported charset 415); a database that is stalled or unreachable is 503
 * `SERVICE_UNAVAILABLE` with `Retry-After` (logged at most once a minute); anything else is a 500
 * naming the request id, logged, with no stack in the response. `decorate` may add headers for an
 * ApiError (a challenge, Retry-After).
 */
export function apiErrorHandler(logger: Logger, decorate?: (err: ApiError, res: Response) => void): ErrorRequestHandler {
  const log = logger.child({ module: "errors" });
  const unavailableLog = new LogThrottle();
  return (err: unknown, _req, res, _next) => {
    const requestId = res.locals["requestId"] as string | undefined;
    const unavailable = DatabaseUnavailableError.from(err);
    if (unavailable) {
      unavailableLog.run((heldBack) => log.warn(`answering 503: ${unavailable.message}`, { requestId, similarSinceLast: heldBack }));
      res.setHeader("Retry-After", String(unavailable.retryAfterSeconds));
      res.status(503).json(errorBody("SERVICE_UNAVAILABLE", "the database is not answering; try again later"));
      return;
    }
    if (err instanceof ApiError) {
      if (err.status >= 500) log.error(err.message, { err, requestId });
      decorate?.(err, res);
      res.status(err.status).json(errorBody(err.code, err.message));
      return;
    }
    const status = (err as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      const code = status === 413 ? "PAYLOAD_TOO_LARGE" : status === 415 ? "UNSUPPORTED_MEDIA_TYPE" : "BAD_REQUEST";
      res.status(status).json(errorBody(code, (err as Error).message));
      return;
    }
    log.error("unhandled error", { err, requestId });
    res.status(500).json(errorBody("INTERNAL_SERVER_ERROR", `internal error; request id ${requestId ?? "unknown"}`));
  };
}
