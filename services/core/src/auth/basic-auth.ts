import type { Request, RequestHandler, Response } from "express";
import type { Principal, UserStore } from "../users/user-store.js";
import { ForbiddenError, UnauthorizedError } from "../errors.js";

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

/**
 * Resolves the caller from Basic auth into `res.locals.principal` (absent for anonymous).
 * Wrong credentials are a 401 at once, as Harbor answers, rather than silently anonymous.
 */
export function authenticate(users: UserStore): RequestHandler {
  return async (req, res, next) => {
    const header = req.get("authorization");
    if (!header) return next();
    const credentials = parseBasicAuth(header);
    if (!credentials) return next(new UnauthorizedError("malformed Authorization header"));
    const principal = await users.authenticate(credentials.username, credentials.password);
    if (!principal) return next(new UnauthorizedError("invalid credentials"));
    res.locals["principal"] = principal;
    next();
  };
}

export function principalOf(res: Response): Principal | undefined {
  return res.locals["principal"] as Principal | undefined;
}

/** 401 for anonymous callers, 403 for authenticated non-admins. */
export function requireSysadmin(): RequestHandler {
  return (_req: Request, res, next) => {
    const principal = principalOf(res);
    if (!principal) return next(new UnauthorizedError());
    if (!principal.sysadmin) return next(new ForbiddenError("system administrator role required"));
    next();
  };
}
