/**
 * Authorization as an interface: `authorize(req, access[]) → grant | challenge`. The token
 * implementation checks the bearer token and that its `access` claim grants every action asked
 * for (`*` grants all actions on a resource). Nothing else is decided here: which users may do
 * what is core's business when it issues the token.
 */
import type { IncomingHttpHeaders } from "node:http";
import { bearerChallenge, type RequiredAccess } from "./challenge.js";
import { TokenInvalidError, type AccessEntry, type TokenVerifier } from "./token-verifier.js";

/** A request that passed authorization. */
export interface Grant {
  kind: "grant";
  /** The token's subject (empty for anonymous). */
  subject: string;
  /** The token's `berth_purpose` claim (`scanner`, `replication`), when core issued it for one. */
  purpose?: string | undefined;
  /** Whether the token also grants `action` on `type:name` (e.g. pull on a mount's source). */
  allows(type: string, name: string, action: string): boolean;
}

/** A refusal: answer 401 with `header` as `WWW-Authenticate`. */
export interface Challenge {
  kind: "challenge";
  status: 401;
  /** UNAUTHORIZED when there is no valid token, DENIED when it lacks an action. */
  code: "UNAUTHORIZED" | "DENIED";
  message: string;
  header: string;
}

/** Decides whether a request may proceed. */
export interface Authorizer {
  authorize(req: { headers: IncomingHttpHeaders }, access: readonly RequiredAccess[]): Grant | Challenge;
}

/** Options of {@link TokenAuthorizer}. */
export interface TokenAuthorizerOptions {
  verifier: TokenVerifier;
  realm: string;
  service: string;
}

/** Bearer-token authorization (Docker token auth). */
export class TokenAuthorizer implements Authorizer {
  constructor(private readonly options: TokenAuthorizerOptions) {}

  authorize(req: { headers: IncomingHttpHeaders }, access: readonly RequiredAccess[]): Grant | Challenge {
    const { realm, service } = this.options;
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) {
      return {
        kind: "challenge",
        status: 401,
        code: "UNAUTHORIZED",
        message: "authentication required",
        header: bearerChallenge({ realm, service, access, ...(header !== undefined && { error: "invalid_token" as const }) }),
      };
    }
    let claims;
    try {
      claims = this.options.verifier.verify(match[1]!);
    } catch (err) {
      if (!(err instanceof TokenInvalidError)) throw err;
      return {
        kind: "challenge",
        status: 401,
        code: "UNAUTHORIZED",
        message: `invalid token: ${err.message}`,
        header: bearerChallenge({ realm, service, access, error: "invalid_token" }),
      };
    }
    const allows = (type: string, name: string, action: string) => grants(claims.access, type, name, action);
    const missing = access.filter((a) => !a.actions.every((action) => allows(a.type, a.name, action)));
    if (missing.length > 0) {
      return {
        kind: "challenge",
        status: 401,
        code: "DENIED",
        message: "requested access to the resource is denied",
        header: bearerChallenge({ realm, service, access, error: "insufficient_scope" }),
      };
    }
    return { kind: "grant", subject: claims.subject, allows, ...(claims.purpose !== undefined && { purpose: claims.purpose }) };
  }
}

function grants(entries: readonly AccessEntry[], type: string, name: string, action: string): boolean {
  return entries.some((e) => e.type === type && e.name === name && (e.actions.includes(action) || e.actions.includes("*")));
}
