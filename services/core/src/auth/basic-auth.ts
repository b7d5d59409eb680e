import type { Request, RequestHandler } from "express";
import { ForbiddenError, UnauthorizedError } from "../errors.js";
import type { Authenticator } from "./authenticator.js";
import { principalOf, type Principal } from "./principal.js";
import type { SessionStore } from "./session.js";
import { SESSION_COOKIE, readCookie } from "./session.js";

export { principalOf };

/** Parses `Authorization: Basic …`; `undefined` when absent or malformed. */
export function parseBasicAuth(header: string | undefined): { username: string; password: string } | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? "unknown";
}

/**
 * Resolves the caller into `res.locals.principal` (absent for anonymous): Basic auth for users
 * and robots, else the browser's session cookie. Wrong Basic credentials are a 401 at once, as
 * Harbor answers, rather than silently anonymous; an unknown or expired session is anonymous.
 */
export function authenticate(authenticator: Authenticator, sessions?: SessionStore): RequestHandler {
  return async (req, res, next) => {
    const header = req.get("authorization");
    if (header) {
      const credentials = parseBasicAuth(header);
      if (!credentials) return next(new UnauthorizedError("malformed Authorization header"));
      const principal = await authenticator.check(credentials.username, credentials.password, clientAddress(req));
      if (!principal) return next(new UnauthorizedError("invalid credentials"));
      res.locals["principal"] = (principal.kind === "user" ? { ...principal, via: "basic" } : principal) satisfies Principal;
      return next();
    }
    const token = sessions ? readCookie(req, SESSION_COOKIE) : undefined;
    if (sessions && token) {
      const principal = await sessions.resolve(token);
      if (principal) {
        res.locals["principal"] = { ...principal, via: "session" } satisfies Principal;
        res.locals["sessionToken"] = token;
      }
    }
    next();
  };
}

/** 401 for anonymous callers, 403 for everyone but system administrators. */
export function requireSysadmin(): RequestHandler {
  return (_req: Request, res, next) => {
    const principal = principalOf(res);
    if (!principal) return next(new UnauthorizedError());
    if (principal.kind !== "user" || !principal.sysadmin) return next(new ForbiddenError("system administrator role required"));
    next();
  };
}

/** 401 for anonymous callers. */
export function requireAuthenticated(): RequestHandler {
  return (_req: Request, res, next) => (principalOf(res) ? next() : next(new UnauthorizedError()));
}
