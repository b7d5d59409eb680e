/** The browser session's cookie (Harbor's `sid`): read and written with the `cookie` package. */
import { parse, serialize } from "cookie";
import type { Request } from "express";

/** Harbor's session cookie name. */
export const SESSION_COOKIE = "sid";

/** The longest token `SessionStore` hands out is 43 characters; anything much longer is not one. */
const MAX_TOKEN_LENGTH = 128;

/**
 * The session token the request carries, or `undefined`. An unreadable `Cookie` header — bad
 * percent-encoding, garbage, an oversized value — is no session, never an error.
 */
export function readSessionToken(req: Request): string | undefined {
  const header = req.get("cookie");
  if (!header) return undefined;
  let token: string | undefined;
  try {
    token = parse(header)[SESSION_COOKIE];
  } catch {
    return undefined;
  }
  return token && token.length <= MAX_TOKEN_LENGTH && /^[A-Za-z0-9_-]+$/.test(token) ? token : undefined;
}

/** `Set-Cookie` for `token` (empty with `maxAgeSeconds` 0 to clear): HttpOnly, SameSite=Lax, Secure on https. */
export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return serialize(SESSION_COOKIE, token, { path: "/", httpOnly: true, sameSite: "lax", maxAge: maxAgeSeconds, secure });
}
