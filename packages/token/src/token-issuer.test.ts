import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createPublicKey, verify, X509Certificate } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureSigningKey, loadSigningKey, type SigningKey } from "./signing-key.js";
import { TokenIssuer } from "./token-issuer.js";

let dir: string;
let key: SigningKey;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "berth-token-test-"));
  key = await ensureSigningKey({ keyFile: path.join(dir, "secrets/tls.key"), certFile: path.join(dir, "secrets/tls.crt") });
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

test("tokens carry the claims and header Distribution checks, signed ES256", () => {
  assert.equal(key.algorithm, "ES256");
  assert.equal(key.privateKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  const issuer = new TokenIssuer(key, { issuer: "berth-token-issuer", service: "berth-registry", expirationMinutes: 30 });
  const now = new Date("2026-01-02T03:04:05Z");
  const access = [{ type: "repository", name: "library/app", actions: ["pull"] }];
  const issued = issuer.issue("alice", access, now);
  const [h, c, s] = issued.token.split(".") as [string, string, string];
  const header = decode(h);
  assert.equal(header.alg, "ES256");
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
  // JWS: r‖s, 64 bytes (not DER).
  assert.equal(Buffer.from(s, "base64url").byteLength, 64);
  assert.ok(verify("sha256", Buffer.from(`${h}.${c}`), { key: publicKey, dsaEncoding: "ieee-p1363" }, Buffer.from(s, "base64url")));
  assert.notEqual(issuer.issue("alice", access, now).token, issued.token, "jti differs per token");
});

test("an existing RSA key keeps working: RS256; other keys are refused", async () => {
  const rsaDir = path.join(dir, "rsa");
  mkdirSync(rsaDir);
  const keyFile = path.join(rsaDir, "tls.key");
  const certFile = path.join(rsaDir, "tls.crt");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=berth-token-issuer", "-keyout", keyFile, "-out", certFile], { stdio: "ignore" });
  const rsa = await ensureSigningKey({ keyFile, certFile });
  assert.equal(rsa.algorithm, "RS256");
  const issued = new TokenIssuer(rsa, { issuer: "i", service: "s", expirationMinutes: 5 }).issue("alice", []);
  const [h, c, s] = issued.token.split(".") as [string, string, string];
  assert.equal(decode(h).alg, "RS256");
  assert.ok(verify("sha256", Buffer.from(`${h}.${c}`), createPublicKey(rsa.certificatePem), Buffer.from(s, "base64url")));

  const edDir = path.join(dir, "ed25519");
  mkdirSync(edDir);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "1", "-subj", "/CN=x", "-keyout", path.join(edDir, "tls.key"), "-out", path.join(edDir, "tls.crt")], { stdio: "ignore" });
  await assert.rejects(loadSigningKey(path.join(edDir, "tls.key"), path.join(edDir, "tls.crt")), /EC P-256 key \(ES256 tokens\) or an RSA key/);
});
