/** Token authentication against the running registry: challenges, bad tokens, scopes. */
import assert from "node:assert/strict";
import { generateKeyPairSync, createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import jwt from "jsonwebtoken";
import { ISSUER, REALM, SERVICE, startHarness, type Harness } from "./testing/harness.js";
import { pushImage } from "./testing/fixtures.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];

describe("registry auth", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(adminUrl!);
  });
  after(() => h?.close());

  test("GET /v2/ without a token: 401 with the Bearer challenge", async () => {
    const r = await h.request("GET", "/v2/");
    assert.equal(r.status, 401);
    assert.equal(r.headers["www-authenticate"], `Bearer realm="${REALM}",service="${SERVICE}"`);
    assert.equal(r.headers["docker-distribution-api-version"], "registry/2.0");
    assert.equal(r.json().errors[0].code, "UNAUTHORIZED");
  });

  test("GET /v2/ with any valid token: 200 {}", async () => {
    const r = await h.request("GET", "/v2/", { token: h.token([]) });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), {});
    assert.equal(r.headers["docker-distribution-api-version"], "registry/2.0");
  });

  test("a repository route without a token names the scope", async () => {
    const r = await h.request("GET", "/v2/team/app/manifests/latest");
    assert.equal(r.status, 401);
    assert.equal(r.headers["www-authenticate"], `Bearer realm="${REALM}",service="${SERVICE}",scope="repository:team/app:pull"`);
    const p = await h.request("POST", "/v2/team/app/blobs/uploads/");
    assert.match(String(p.headers["www-authenticate"]), /scope="repository:team\/app:push"/);
    const d = await h.request("DELETE", "/v2/team/app/manifests/latest");
    assert.match(String(d.headers["www-authenticate"]), /scope="repository:team\/app:delete"/);
  });

  test("bad tokens: 401 invalid_token, never 500", async () => {
    const now = Math.floor(Date.now() / 1000);
    const access = [{ type: "repository", name: "team/app", actions: ["pull"] }];
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const certPem = await readFile(h.certFile, "utf8");
    const hsHeader = b64({ alg: "HS256", typ: "JWT" });
    const hsPayload = b64({ iss: ISSUER, aud: SERVICE, exp: now + 300, access });
    const tokens: Record<string, string> = {
      expired: h.token(["repository:team/app:pull"], { payload: { exp: now - 120 } }),
      "wrong audience": h.token(["repository:team/app:pull"], { audience: "someone-else" }),
      "wrong issuer": h.token(["repository:team/app:pull"], { issuer: "mallory" }),
      "forged signature": jwt.sign({ access }, other, { algorithm: "RS256", issuer: ISSUER, audience: SERVICE, expiresIn: 300 }),
      "alg none": `${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: ISSUER, aud: SERVICE, exp: now + 300, access })}.`,
      "HS256 with the certificate as secret": `${hsHeader}.${hsPayload}.${createHmac("sha256", certPem).update(`${hsHeader}.${hsPayload}`).digest("base64url")}`,
      garbage: "not-a-jwt",
    };
    for (const [label, token] of Object.entries(tokens)) {
      const r = await h.request("GET", "/v2/team/app/tags/list", { token });
      assert.equal(r.status, 401, label);
      assert.match(String(r.headers["www-authenticate"]), /error="invalid_token"/, label);
      assert.equal(r.json().errors[0].code, "UNAUTHORIZED", label);
    }
    const basic = await h.request("GET", "/v2/", { headers: { Authorization: "Basic YTpi" } });
    assert.equal(basic.status, 401);
    assert.match(String(basic.headers["www-authenticate"]), /error="invalid_token"/);
  });

  test("a valid token lacking the action: 401 insufficient_scope, code DENIED", async () => {
    const pull = h.token(["repository:team/app:pull"]);
    const r = await h.request("POST", "/v2/team/app/blobs/uploads/", { token: pull });
    assert.equal(r.status, 401);
    assert.equal(r.headers["www-authenticate"], `Bearer realm="${REALM}",service="${SERVICE}",scope="repository:team/app:push",error="insufficient_scope"`);
    assert.equal(r.json().errors[0].code, "DENIED");
    const otherRepo = await h.request("GET", "/v2/team/other/tags/list", { token: pull });
    assert.equal(otherRepo.status, 401);
    assert.equal(otherRepo.json().errors[0].code, "DENIED");
    const del = await h.request("DELETE", "/v2/team/app/manifests/latest", { token: h.token(["repository:team/app:pull,push"]) });
    assert.equal(del.json().errors[0].code, "DENIED");
  });

  test("_catalog needs registry:catalog:*; '*' actions grant everything", async () => {
    const all = h.token(["repository:team/app:*"]);
    await pushImage(h, "team/app", all, "v1", "auth");
    const denied = await h.request("GET", "/v2/_catalog", { token: all });
    assert.equal(denied.status, 401);
    assert.match(String(denied.headers["www-authenticate"]), /scope="registry:catalog:\*",error="insufficient_scope"/);
    const ok = await h.request("GET", "/v2/_catalog", { token: h.token(["registry:catalog:*"]) });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json(), { repositories: ["team/app"] });
  });
});
