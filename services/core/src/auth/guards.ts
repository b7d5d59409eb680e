/** Route guards on the resolved principal (`authenticate` runs first). */
import type { RequestHandler, Response } from "express";
import { PermissionDeniedError, UnauthenticatedError } from "../errors.js";
import { principalOf, type UserPrincipal } from "./principal.js";

/** The calling system administrator; 401 for anonymous callers, 403 for everyone else. */
export function sysadminOf(res: Response, what = "system administrator role required"): UserPrincipal {
  const principal = principalOf(res);
  if (!principal) throw new UnauthenticatedError();
  if (principal.kind !== "user" || !principal.sysadmin) throw new PermissionDeniedError(what);
  return principal;
}

/** Middleware form of {@link sysadminOf}. */
export function requireSysadmin(): RequestHandler {
  return (_req, res, next) => {
    sysadminOf(res);
    next();
  };
}

/** 401 for anonymous callers. */
export function requireAuthenticated(): RequestHandler {
  return (_req, res, next) => {
    if (!principalOf(res)) throw new UnauthenticatedError();
    next();
  };
}
