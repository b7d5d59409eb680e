import type { RequestHandler } from "express";
import { ApiError } from "@berth/http";

/**
 * Request bodies are JSON (Harbor's API consumes `application/json`), or the forms of the
 * portal's sign-in pages (`/c/login`, `/c/oidc/onboard`). A body of any other type is refused with 415 before a route could read it as "no
 * body" and act on defaults.
 */
/** Paths whose browser forms post `application/x-www-form-urlencoded`. */
const FORM_PATHS = new Set(["/c/login", "/c/oidc/onboard"]);

export function requireJsonBodies(): RequestHandler {
  return (req, _res, next) => {
    if (req.get("content-length") === "0" && !req.get("transfer-encoding")) return next(); // an empty body is no body
    const type = req.is(["application/json", "application/*+json"]);
    if (type === null || type) return next(); // no body, or JSON
    if (FORM_PATHS.has(req.path) && req.is("application/x-www-form-urlencoded")) return next();
    next(new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", `request bodies must be application/json, not ${req.get("content-type") ?? "untyped"}`.slice(0, 200)));
  };
}
