// Hand-made JWTs for negative token tests (forged, wrong audience, expired, alg none, HS256).
import { createHmac, createPrivateKey, randomUUID, sign, type KeyObject } from "node:crypto";

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

export interface Claims {
  iss?: string;
  sub?: string;
  aud?: string;
  iat?: number;
  nbf?: number;
  exp?: number;
  jti?: string;
  access?: { type: string; name: string; actions: string[] }[];
}

/** Registry-token claims for `access`, valid for 5 minutes from now unless overridden. */
export function claims(access: Claims["access"], overrides: Claims = {}): Claims {
  const now = Math.floor(Date.now() / 1000);
  return { iss: "berth-token-issuer", sub: "admin", aud: "berth-registry", iat: now, nbf: now, exp: now + 300, jti: randomUUID(), access, ...overrides };
}

/** A JWT signed with `key` as core signs: ES256 with an EC key (r‖s), RS256 with an RSA key. */
export function signWithKey(payload: Claims, key: KeyObject | string, header: Record<string, unknown> = {}): string {
  const privateKey = typeof key === "string" ? createPrivateKey(key) : key;
  const alg = privateKey.asymmetricKeyType === "ec" ? "ES256" : "RS256";
  const input = `${b64url(JSON.stringify({ typ: "JWT", alg, ...header }))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" }))}`;
}

export function signHs256(payload: Claims, secret: Buffer | string): string {
  const input = `${b64url(JSON.stringify({ typ: "JWT", alg: "HS256" }))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(createHmac("sha256", secret).update(input).digest())}`;
}

export function unsigned(payload: Claims): string {
  return `${b64url(JSON.stringify({ typ: "JWT", alg: "none" }))}.${b64url(JSON.stringify(payload))}.`;
}
