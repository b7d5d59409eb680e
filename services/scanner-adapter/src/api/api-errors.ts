/** The adapter's errors on the wire: the Pluggable Scanner API's `ErrorResponse` (`{"error":{"message"}}`). */
import type { ErrorRequestHandler, Response } from "express";
import type { Logger } from "@berth/logger";
import { ERROR_MIME } from "@berth/scanning";

/** A request the API refuses, with the status the spec gives it. */
export class ScannerApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Sends `body` as JSON with exactly `type` as its Content-Type (no charset appended: clients match the media type). */
export function sendJson(res: Response, status: number, type: string, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.status(status).setHeader("Content-Type", type);
  res.setHeader("Content-Length", bytes.length);
  res.end(bytes);
}

export function sendApiError(res: Response, status: number, message: string): void {
  sendJson(res, status, ERROR_MIME, { error: { message } });
}

/** Known refusals keep their status; a body parser's 4xx stays a 400; anything else is a logged 500. */
export function scannerErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof ScannerApiError) return sendApiError(res, err.status, err.message);
    const status = (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) return sendApiError(res, 400, `invalid request: ${(err as Error).message}`);
    logger.error(`${req.method} ${req.path} failed`, { err });
    sendApiError(res, 500, `internal error (request ${String(res.getHeader("X-Request-Id") ?? "")})`.trim());
  };
}
