import { randomUUID, sign } from "node:crypto";
import type { SigningKey } from "./signing-key.js";

/** One `access` entry of a registry token. */
export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: TokenAccess[];
  /** What the token is for when not for a client (`scanner`): the registry exempts such pulls from `prevent_vul`. */
  berth_purpose?: string;
}

/** Options of one token: its purpose claim and a lifetime other than the configured one. */
export interface IssueOptions {
  purpose?: string;
  expiresInSeconds?: number;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  issuedAt: Date;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/**
 * ES256 (or, with an RSA key, RS256) JWTs as CNCF Distribution's `auth.token` verifies them:
 * `x5c` (the certificate chained to the registry's `rootcertbundle`) and `kid` (libtrust key ID)
 * in the header; `iss`, `aud` (the service), `exp`/`nbf`/`iat`, `jti` and `access` in the claims.
 */
export class TokenIssuer {
  constructor(
    private readonly key: SigningKey,
    readonly options: { issuer: string; service: string; expirationMinutes: number },
  ) {}

  get keyId(): string {
    return this.key.keyId;
  }

  issue(subject: string, access: TokenAccess[], now = new Date(), options: IssueOptions = {}): IssuedToken {
    const iat = Math.floor(now.getTime() / 1000);
    const expiresIn = options.expiresInSeconds ?? this.options.expirationMinutes * 60;
    const header = { typ: "JWT", alg: this.key.algorithm, kid: this.key.keyId, x5c: [this.key.certificateDer.toString("base64")] };
    const claims: TokenClaims = {
      iss: this.options.issuer,
      sub: subject,
      aud: this.options.service,
      exp: iat + expiresIn,
      nbf: iat,
      iat,
      jti: randomUUID(),
      access,
      ...(options.purpose !== undefined && { berth_purpose: options.purpose }),
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    // JWS wants an ECDSA signature as r‖s (IEEE P1363), not DER.
    const signature = sign("sha256", Buffer.from(signingInput), { key: this.key.privateKey, dsaEncoding: "ieee-p1363" });
    return { token: `${signingInput}.${signature.toString("base64url")}`, expiresIn, issuedAt: new Date(iat * 1000) };
  }
}
