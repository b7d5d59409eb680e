import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createPublicKey, verify, X509Certificate } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureSigningKey, type SigningKey } from "./signing-key.js";
import { TokenIssuer } from "./token-issuer.js";

let dir: string;
let key: SigningKey;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "berth-token-test-"));
  key = await ensureSigningKey({ keyFile: path.join(dir, "secrets/tls.key"), certFile: path.join(dir, "secrets/tls.crt"), bits: 2048 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));

test("creates the key (mode 0600) and a self-signed certificate once, then reuses them", async () => {
  assert.equal(statSync(path.join(dir, "secrets/tls.key")).mode & 0o777, 0o600);
  const cert = new X509Certificate(key.certificatePem);
  assert.match(cert.subject, /CN=berth-token-issuer/);
  const again = await ensureSigningKey({ keyFile: path.join(dir, "secrets/tls.key"), certFile: path.join(dir, "secrets/tls.crt") });
  assert.equal(again.keyId, key.keyId);
});

test("refuses a key without its certificate", async () => {
  await assert.rejects(ensureSigningKey({ keyFile: path.join(dir, "secrets/tls.key"), certFile: path.join(dir, "other.crt") }), /missing/);
});

test("tokens carry the claims and header Distribution checks, signed RS256", () => {
  const issuer = new TokenIssuer(key, { issuer: "berth-token-issuer", service: "berth-registry", expirationMinutes: 30 });
  const now = new Date("2026-01-02T03:04:05Z");
  const access = [{ type: "repository", name: "library/app", actions: ["pull"] }];
  const issued = issuer.issue("alice", access, now);
  const [h, c, s] = issued.token.split(".") as [string, string, string];
  const header = decode(h);
  assert.equal(header.alg, "RS256");
  assert.equal(header.typ, "JWT");
  assert.equal(header.kid, key.keyId);
  assert.deepEqual(header.x5c, [key.certificateDer.toString("base64")]);
  const claims = decode(c);
  const iat = Math.floor(now.getTime() / 1000);
  assert.deepEqual(
    { ...claims, jti: undefined },
    { iss: "berth-token-issuer", sub: "alice", aud: "berth-registry", iat, nbf: iat, exp: iat + 1800, jti: undefined, access },
  );
  assert.match(claims.jti, /^[0-9a-f-]{36}$/);
  assert.equal(issued.expiresIn, 1800);
  assert.equal(issued.issuedAt.toISOString(), "2026-01-02T03:04:05.000Z");
  const publicKey = createPublicKey(key.certificatePem);
  assert.ok(verify("sha256", Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, "base64url")));
  assert.notEqual(issuer.issue("alice", access, now).token, issued.token, "jti differs per token");
});
