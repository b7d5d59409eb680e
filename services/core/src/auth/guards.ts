/** Route guards on the resolved principal (`authenticate` runs first). */
import type { RequestHandler, Response } from "express";
import { PermissionDeniedError, UnauthenticatedError } from "../errors.js";
import { principalOf, type Principal, type UserPrincipal } from "./principal.js";
import { authorizeSystem } from "./system-permissions.js";

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

/**
 * The caller, when they may do `action` on the system-level `resource`: system administrators,
 * and system robots holding that permission. 401 for anonymous callers, 403 for everyone else.
 */
export function systemCallerOf(res: Response, resource: string, action: string): Principal {
  const principal = principalOf(res);
  if (!principal) throw new UnauthenticatedError();
  if (!authorizeSystem(principal.kind === "user" ? { kind: "user", sysadmin: principal.sysadmin } : principal, resource, action)) {
    throw new PermissionDeniedError(`${action} of ${resource} needs the system administrator role or a system robot permission`);
  }
  return principal;
}

/** Middleware form of {@link systemCallerOf}. */
export function requireSystem(resource: string, action: string): RequestHandler {
  return (_req, res, next) => {
    systemCallerOf(res, resource, action);
    next();
  };
}
