import type { RequestHandler } from "express";
import { UnauthenticatedError } from "../errors.js";
import { clientAddress } from "../http/client-address.js";
import type { Authenticator } from "./authenticator.js";
import { parseBasicAuth } from "./basic-auth.js";
import type { Principal } from "./principal.js";
import { readSessionToken } from "./session-cookie.js";
import type { SessionStore } from "./session-store.js";

/**
 * Resolves the caller into `res.locals.principal` (absent for anonymous): Basic auth for users
 * and robots, else the browser's session cookie. Wrong or malformed Basic credentials are a 401
 * at once, as Harbor answers, rather than silently anonymous; an unknown, expired or unreadable
 * session is anonymous.
 */
export function authenticate(authenticator: Authenticator, sessions?: SessionStore): RequestHandler {
  return async (req, res, next) => {
    const credentials = parseBasicAuth(req.get("authorization"));
    if (credentials && "malformed" in credentials) throw new UnauthenticatedError(credentials.malformed);
    if (credentials) {
      const principal = await authenticator.check(credentials.username, credentials.password, clientAddress(req));
      if (!principal) throw new UnauthenticatedError("invalid credentials");
      res.locals["principal"] = (principal.kind === "user" ? { ...principal, via: "basic" } : principal) satisfies Principal;
      return next();
    }
    if (req.get("authorization")) throw new UnauthenticatedError("unsupported Authorization scheme: use Basic");
    const token = sessions ? readSessionToken(req) : undefined;
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
