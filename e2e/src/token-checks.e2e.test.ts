// The registry's bearer-token checks through nginx: bad tokens are `invalid_token`, a valid token
// without the needed action is `insufficient_scope` + DENIED.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CoreApi } from "./support/api.js";
import { claims, signHs256, signWithKey, unsigned } from "./support/jwt.js";
import { startTestStack, type TestStack } from "./support/stack.js";

describe("registry token checks through nginx", { timeout: 180_000 }, () => {
  let stack: TestStack;
  let api: CoreApi;
  let realKey: string;
  let certPem: string;
  const repo = "library/tokens";
  const pull = [{ type: "repository", name: repo, actions: ["pull"] }];

  before(async () => {
    stack = await startTestStack("tokens");
    api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    realKey = readFileSync(join(stack.dataDir, "secrets", "token", "tls.key"), "utf8");
    certPem = readFileSync(join(stack.dataDir, "secrets", "token", "tls.crt"), "utf8");
  });

  after(async () => {
    await stack?.stop();
  });

  async function tagsWith(token: string, method = "GET", path = `/v2/${repo}/tags/list`): Promise<{ status: number; challenge: string; body: string }> {
    const res = await fetch(`${stack.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, challenge: res.headers.get("www-authenticate") ?? "", body: await res.text() };
  }

  async function assertInvalid(token: string, what: string): Promise<void> {
    const r = await tagsWith(token);
    assert.equal(r.status, 401, `${what}: ${r.status} ${r.body}`);
    assert.match(r.challenge, /^Bearer /, what);
    assert.match(r.challenge, /error="invalid_token"/, `${what}: ${r.challenge}`);
    assert.match(r.challenge, new RegExp(`realm="${stack.baseUrl}/service/token"`), `${what}: ${r.challenge}`);
  }

  it("control: a token signed with core's key, as core would, is accepted", async () => {
    assert.equal(JSON.parse(Buffer.from((await api.token([`repository:${repo}:pull`])).split(".")[0]!, "base64url").toString()).alg, "ES256");
    const r = await tagsWith(signWithKey(claims(pull), realKey));
    // The repository does not exist: past authentication the answer is 404 NAME_UNKNOWN.
    assert.equal(r.status, 404, r.body);
    assert.match(r.body, /NAME_UNKNOWN/);
    const issued = await tagsWith(await api.token([`repository:${repo}:pull`]));
    assert.equal(issued.status, 404, issued.body);
  });

  it("rejects a forged signature (another EC key, an RSA key, and a tampered payload)", async () => {
    await assertInvalid(signWithKey(claims(pull), generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey), "other EC key (ES256)");
    await assertInvalid(signWithKey(claims(pull), generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey), "an RSA key (RS256)");
    const genuine = await api.token([`repository:${repo}:pull`]);
    const [h, , s] = genuine.split(".");
    const tampered = `${h}.${Buffer.from(JSON.stringify(claims([{ type: "repository", name: repo, actions: ["pull", "push", "delete"] }]))).toString("base64url")}.${s}`;
    await assertInvalid(tampered, "tampered payload");
  });

  it("rejects a wrong audience and a wrong issuer", async () => {
    await assertInvalid(signWithKey(claims(pull, { aud: "some-other-registry" }), realKey), "wrong audience");
    await assertInvalid(signWithKey(claims(pull, { iss: "someone-else" }), realKey), "wrong issuer");
  });

  it("rejects an expired token", async () => {
    const now = Math.floor(Date.now() / 1000);
    await assertInvalid(signWithKey(claims(pull, { iat: now - 3600, nbf: now - 3600, exp: now - 600 }), realKey), "expired");
  });

  it("rejects alg none", async () => {
    await assertInvalid(unsigned(claims(pull)), "alg none");
  });

  it("rejects HS256 signed with the certificate or its public key", async () => {
    await assertInvalid(signHs256(claims(pull), certPem), "HS256 with the certificate PEM");
    const publicPem = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "pem" });
    await assertInvalid(signHs256(claims(pull), publicPem), "HS256 with the public key PEM");
  });

  it("a valid token without push: 401 insufficient_scope + DENIED", async () => {
    const token = await api.as("", "").token([`repository:${repo}:pull,push`]); // anonymous: pull on public library only
    const r = await tagsWith(token, "POST", `/v2/${repo}/blobs/uploads/`);
    assert.equal(r.status, 401, r.body);
    assert.match(r.challenge, /error="insufficient_scope"/, r.challenge);
    assert.match(r.challenge, new RegExp(`scope="repository:${repo}:push"`), r.challenge);
    assert.equal((JSON.parse(r.body) as { errors: { code: string }[] }).errors[0]?.code, "DENIED");
    // The same with a valid token that has no access entries at all.
    const bare = await tagsWith(signWithKey(claims([]), realKey), "POST", `/v2/${repo}/blobs/uploads/`);
    assert.equal(bare.status, 401);
    assert.match(bare.challenge, /error="insufficient_scope"/);
    assert.match(bare.body, /"DENIED"/);
  });
});
