import { createHmac, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { PermissionDeniedError } from "../errors.js";
import { principalOf } from "./principal.js";

/** Harbor's CSRF header, answered on every session-authenticated request and required on writes. */
export const CSRF_HEADER = "X-Harbor-CSRF-Token";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The CSRF token of a session: an HMAC of the session's secret token, so it is bound to the
 * session, needs no storage, and cannot be computed by a page that cannot read the HttpOnly
 * cookie.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac("sha256", sessionToken).update("berth-csrf-v1").digest("base64url");
}

/**
 * For cookie-authenticated requests: answer the token on safe methods and require it on
 * POST/PUT/PATCH/DELETE (403 otherwise). Basic-auth and anonymous callers are not affected:
 * a browser never attaches those credentials to a cross-site request on its own.
 */
export function csrfProtection(): RequestHandler {
  return (req, res, next) => {
    const principal = principalOf(res);
    const sessionToken = res.locals["sessionToken"] as string | undefined;
    if (!principal || principal.kind !== "user" || principal.via !== "session" || !sessionToken) return next();
    const expected = csrfTokenFor(sessionToken);
    if (SAFE_METHODS.has(req.method)) {
      res.setHeader(CSRF_HEADER, expected);
      return next();
    }
    const given = req.get(CSRF_HEADER) ?? "";
    const a = Buffer.from(given);
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return next(new PermissionDeniedError("CSRF token invalid"));
    next();
  };
}
