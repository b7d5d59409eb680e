import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import type { Logger } from "@berth/logger";

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id (the caller's `X-Request-Id` when it is well-formed, else a new
 * UUID), echoes it in the response and keeps it in `res.locals.requestId` for logs and errors.
 */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.get("x-request-id");
    const id = given && VALID_ID.test(given) ? given : randomUUID();
    res.locals["requestId"] = id;
    res.setHeader("X-Request-Id", id);
    next();
  };
}

/** One `http` level line per finished request. */
export function accessLog(logger: Logger): RequestHandler {
  const log = logger.child({ module: "http" });
  return (req, res, next) => {
    // Below the logger's level (`warn` in production-like runs) no line is built at all.
    if (!log.isLevelEnabled("http")) return next();
    const start = process.hrtime.bigint();
    res.on("finish", () => {
      log.http(`${req.method} ${req.originalUrl} ${res.statusCode}`, {
        requestId: res.locals["requestId"],
        method: req.method,
        path: req.originalUrl,
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - start) / 1e6,
        bytes: Number(res.getHeader("content-length") ?? 0) || undefined,
      });
    });
    next();
  };
}
