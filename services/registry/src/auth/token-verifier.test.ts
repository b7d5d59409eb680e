import assert from "node:assert/strict";
import * as nodeCrypto from "node:crypto";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { test } from "node:test";
import jwt from "jsonwebtoken";
import { selfSignedCertificate } from "../testing/self-signed-cert.js";
import { parseTokenKey, TokenInvalidError, TokenVerifier } from "./token-verifier.js";
import { TokenAuthorizer } from "./authorizer.js";
import { bearerChallenge } from "./challenge.js";

const { privateKey, publicKey, certPem } = selfSignedCertificate();
const verifier = new TokenVerifier({ publicKey: parseTokenKey(certPem), issuer: "iss", service: "svc" });
const access = [{ type: "repository", name: "a/b", actions: ["pull"] }];
const sign = (claims: object, options: jwt.SignOptions = {}) => {
  const exp = "exp" in claims ? {} : { expiresIn: 300 };
  return jwt.sign({ access, ...claims }, privateKey, { algorithm: "RS256", issuer: "iss", audience: "svc", subject: "alice", ...exp, ...options });
};

test("the self-signed certificate parses and carries the key", () => {
  const cert = new X509Certificate(certPem);
  assert.ok(cert.checkIssued(cert));
  assert.ok(cert.verify(publicKey));
  assert.equal(cert.publicKey.export({ type: "spki", format: "pem" }), publicKey.export({ type: "spki", format: "pem" }));
});

test("a good token verifies; a PEM public key works too", () => {
  assert.deepEqual(verifier.verify(sign({})), { subject: "alice", access });
  const v2 = new TokenVerifier({ publicKey: parseTokenKey(publicKey.export({ type: "spki", format: "pem" }) as string), issuer: "iss", service: "svc" });
  assert.equal(v2.verify(sign({})).subject, "alice");
});

test("bad tokens are refused", () => {
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const pubPem = publicKey.export({ type: "spki", format: "pem" }) as string;
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const bad = {
    expired: sign({ exp: now - 120 }),
    "wrong audience": sign({}, { audience: "other" }),
    "wrong issuer": sign({}, { issuer: "other" }),
    forged: jwt.sign({ access }, other, { algorithm: "RS256", issuer: "iss", audience: "svc", expiresIn: 300 }),
    "alg none": `${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: "iss", aud: "svc", exp: now + 300, access })}.`,
    "HS256 with the public key": (() => {
      const header = b64({ alg: "HS256", typ: "JWT" });
      const payload = b64({ iss: "iss", aud: "svc", exp: now + 300, access });
      // jsonwebtoken itself refuses to sign this; build it by hand.
      const sig = nodeCrypto.createHmac("sha256", pubPem).update(`${header}.${payload}`).digest("base64url");
      return `${header}.${payload}.${sig}`;
    })(),
    "not yet valid": sign({ nbf: now + 120 }),
    garbage: "abc.def.ghi",
  };
  for (const [label, token] of Object.entries(bad)) {
    assert.throws(() => verifier.verify(token), TokenInvalidError, label);
  }
  // within the 30 s leeway
  assert.equal(verifier.verify(sign({ exp: now - 10 })).subject, "alice");
});

test("with an EC P-256 key only ES256 verifies; other keys are refused", () => {
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ecVerifier = new TokenVerifier({ publicKey: parseTokenKey(ec.publicKey.export({ type: "spki", format: "pem" }) as string), issuer: "iss", service: "svc" });
  const options = { issuer: "iss", audience: "svc", subject: "bob", expiresIn: 300 } as const;
  assert.equal(ecVerifier.verify(jwt.sign({ access }, ec.privateKey, { algorithm: "ES256", ...options })).subject, "bob");
  const otherEc = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  assert.throws(() => ecVerifier.verify(jwt.sign({ access }, otherEc, { algorithm: "ES256", ...options })), TokenInvalidError, "another EC key");
  // An RSA-signed token against the EC key, and an ES256 one against the RSA key: refused by algorithm.
  assert.throws(() => ecVerifier.verify(sign({})), TokenInvalidError, "RS256 against an EC key");
  assert.throws(() => verifier.verify(jwt.sign({ access }, ec.privateKey, { algorithm: "ES256", ...options })), TokenInvalidError, "ES256 against an RSA key");
  const weak = [
    generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey,
    generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey,
    generateKeyPairSync("ed25519").publicKey,
  ];
  for (const key of weak) assert.throws(() => parseTokenKey(key.export({ type: "spki", format: "pem" }) as string), /EC P-256 or RSA/);
});

test("a verified token is reused only for the very same string", () => {
  const token = sign({ reused: true });
  assert.equal(verifier.verify(token).subject, "alice");
  assert.equal(verifier.verify(token).subject, "alice", "from the cache");
  const tampered = `${token.slice(0, -2)}${token.at(-2) === "A" ? "B" : "A"}${token.at(-1)}`;
  assert.throws(() => verifier.verify(tampered), TokenInvalidError, "one signature character changed");
  assert.throws(() => verifier.verify(`${token} `), TokenInvalidError, "one byte appended");
});

test("the authorizer challenges and grants", () => {
  const auth = new TokenAuthorizer({ verifier, realm: "http://r/service/token", service: "svc" });
  const need = [{ type: "repository" as const, name: "a/b", actions: ["pull"] }];
  const none = auth.authorize({ headers: {} }, need);
  assert.equal(none.kind, "challenge");
  if (none.kind === "challenge") {
    assert.equal(none.header, 'Bearer realm="http://r/service/token",service="svc",scope="repository:a/b:pull"');
    assert.equal(none.code, "UNAUTHORIZED");
  }
  const ok = auth.authorize({ headers: { authorization: `Bearer ${sign({})}` } }, need);
  assert.equal(ok.kind, "grant");
  const push = auth.authorize({ headers: { authorization: `Bearer ${sign({})}` } }, [{ type: "repository", name: "a/b", actions: ["push"] }]);
  assert.equal(push.kind === "challenge" && push.code, "DENIED");
  assert.match(push.kind === "challenge" ? push.header : "", /error="insufficient_scope"/);
  const star = auth.authorize({ headers: { authorization: `Bearer ${sign({ access: [{ type: "repository", name: "a/b", actions: ["*"] }] })}` } }, [
    { type: "repository", name: "a/b", actions: ["push", "delete"] },
  ]);
  assert.equal(star.kind, "grant");
  assert.equal(bearerChallenge({ realm: "r", service: "s", error: "invalid_token" }), 'Bearer realm="r",service="s",error="invalid_token"');
});
