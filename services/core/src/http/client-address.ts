import type { Request } from "express";

/** The caller's address as the front door reported it (express' `req.ip` under `trust proxy`). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? "unknown";
}
