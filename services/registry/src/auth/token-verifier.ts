/**
 * Verifies the registry's bearer tokens: JWTs signed by core's token service, checked against the
 * public key of core's certificate (`tls.crt`; a bare PEM public key also works). The key decides
 * the one algorithm accepted — ES256 for an EC P-256 key (what core creates), RS256 for an RSA
 * key — so `alg: none`, HS256-signed-with-the-public-key and any other algorithm fail.
 */
import { X509Certificate, createHash, createPublicKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { tokenAlgorithmOf } from "@berth/token";
import jwt from "jsonwebtoken";

/** One entry of the token's `access` claim. */
export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** What a verified token says. */
export interface TokenClaims {
  /** `sub`: user or robot name; empty for anonymous. */
  subject: string;
  access: AccessEntry[];
  /**
   * `berth_purpose`: what the token was issued for, when not for a client — `scanner` (a scan
   * job's pull, exempt from `prevent_vul`: docs/scanning.md).
   */
  purpose?: string | undefined;
}

/** The token is malformed, badly signed, expired, or for another issuer/service. */
export class TokenInvalidError extends Error {
  override name = "TokenInvalidError";
}

/** The public key in a PEM certificate or PEM public key: EC P-256 or RSA (2048 bits or more). */
export function parseTokenKey(pem: string): KeyObject {
  const key = pem.includes("BEGIN CERTIFICATE") ? new X509Certificate(pem).publicKey : createPublicKey(pem);
  if (tokenAlgorithmOf(key) === undefined) throw new Error(`token key must be EC P-256 or RSA (2048 bits or more), got ${key.asymmetricKeyType}`);
  return key;
}

/** Reads {@link parseTokenKey}'s input from `path`, failing with a message that says what to do. */
export async function loadTokenKeyFile(path: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (err) {
    throw new Error(
      `cannot read the token certificate ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}): ` +
        "core creates it at its start; start core first or set BERTH_TOKEN_CERT_FILE",
      { cause: err },
    );
  }
  try {
    return parseTokenKey(pem);
  } catch (err) {
    throw new Error(`${path} is not a PEM certificate or public key with an EC P-256 or RSA key: ${(err as Error).message}`, { cause: err });
  }
}

/** Options of {@link TokenVerifier}. */
export interface TokenVerifierOptions {
  publicKey: KeyObject;
  /** Expected `iss`. */
  issuer: string;
  /** Expected `aud` (the registry's service name). */
  service: string;
  /** Allowed clock skew for `exp`/`nbf`, in seconds (default 30). */
  clockToleranceSeconds?: number;
}

/** Most verified tokens kept (by the SHA-256 of their exact string, signature included). */
const VERIFIED_CACHE_LIMIT = 2048;

interface VerifiedToken {
  claims: TokenClaims;
  /** Usable from/until (ms since epoch), the clock tolerance included. */
  notBefore: number;
  notAfter: number;
}

/**
 * Verifies tokens with one key. A token that verified is remembered by the SHA-256 of its exact
 * string (the signature is part of it, so no other bytes can hit the entry) until its `exp` (plus
 * the clock tolerance): a client sends the same token for every request of a pull or push, and
 * the signature check is the most expensive step of a small request. The digest, not the token,
 * is the key: a token is a few KiB (and a slice of its request's header keeps the whole header
 * alive), so a full cache held ~7 MiB of the registry's ~30 MiB live heap.
 */
export class TokenVerifier {
  readonly #verified = new Map<string, VerifiedToken>();
  readonly #algorithm: jwt.Algorithm;

  constructor(private readonly options: TokenVerifierOptions) {
    const algorithm = tokenAlgorithmOf(options.publicKey);
    if (algorithm === undefined) throw new Error(`token key must be EC P-256 or RSA (2048 bits or more), got ${options.publicKey.asymmetricKeyType}`);
    this.#algorithm = algorithm;
  }

  /** @throws {TokenInvalidError} */
  verify(token: string): TokenClaims {
    const now = Date.now();
    const key = createHash("sha256").update(token).digest("base64url");
    const cached = this.#verified.get(key);
    if (cached !== undefined) {
      if (now >= cached.notBefore && now <= cached.notAfter) return cached.claims;
      this.#verified.delete(key);
    }
    return this.#verify(token, key);
  }

  #verify(token: string, key: string): TokenClaims {
    let payload: jwt.JwtPayload | string;
    try {
      payload = jwt.verify(token, this.options.publicKey, {
        algorithms: [this.#algorithm],
        issuer: this.options.issuer,
        audience: this.options.service,
        clockTolerance: this.options.clockToleranceSeconds ?? 30,
      });
    } catch (err) {
      throw new TokenInvalidError((err as Error).message);
    }
    if (typeof payload === "string") throw new TokenInvalidError("token payload is not a JSON object");
    if (payload.exp === undefined) throw new TokenInvalidError("token has no expiry");
    const purpose = payload["berth_purpose"];
    const claims: TokenClaims = {
      subject: typeof payload.sub === "string" ? payload.sub : "",
      access: parseAccess(payload["access"]),
      ...(typeof purpose === "string" && { purpose }),
    };
    const tolerance = (this.options.clockToleranceSeconds ?? 30) * 1000;
    if (this.#verified.size >= VERIFIED_CACHE_LIMIT) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(key, {
      claims,
      notBefore: typeof payload.nbf === "number" ? payload.nbf * 1000 - tolerance : 0,
      notAfter: payload.exp * 1000 + tolerance,
    });
    return claims;
  }
}

function parseAccess(value: unknown): AccessEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new TokenInvalidError("access claim must be an array");
  return value.flatMap((entry): AccessEntry[] => {
    if (typeof entry !== "object" || entry === null) return [];
    const { type, name, actions } = entry as Record<string, unknown>;
    if (typeof type !== "string" || typeof name !== "string" || !Array.isArray(actions)) return [];
    return [{ type, name, actions: actions.filter((a): a is string => typeof a === "string") }];
  });
}
