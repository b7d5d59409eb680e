// The front door with the real services behind it: the session login is routed, text PostgreSQL
// cannot store is a 400 in each API's format (never a 500), and the login rate limiter keys on the
// address nginx determined — a client's own X-Forwarded-For does not get it out of the limit,
// while the address a trusted proxy forwards (BERTH_TRUSTED_PROXIES) is believed.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { basicAuth } from "./support/http.js";
import { startTestStack, type TestStack } from "./support/stack.js";

/** Few failures per window, so the limiter is reached quickly. */
const MAX_FAILURES = 3;

/** A failed Basic-auth login to core through the front door, as `forwardedFor` claims to be. */
async function failedLogin(stack: TestStack, forwardedFor: string): Promise<number> {
  const res = await fetch(`${stack.baseUrl}/api/v2.0/users/current`, {
    headers: { ...basicAuth(`nobody-${randomUUID()}`, "wrong-password"), "x-forwarded-for": forwardedFor },
  });
  await res.body?.cancel();
  return res.status;
}

describe("the front door with the services behind it", { timeout: 300_000 }, () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack("front-door", { env: { BERTH_LOGIN_MAX_FAILURES: String(MAX_FAILURES) } });
  });
  after(async () => {
    await stack?.stop();
  });

  it("POST /c/login (the session login) reaches core through nginx", async () => {
    const res = await fetch(`${stack.baseUrl}/c/login`, {
      method: "POST",
      body: new URLSearchParams({ principal: "admin", password: stack.adminPassword }),
      redirect: "manual",
    });
    assert.equal(res.status, 200, await res.text());
    assert.match(res.headers.get("set-cookie") ?? "", /sid=/);
    const wrong = await fetch(`${stack.baseUrl}/c/login`, { method: "POST", body: new URLSearchParams({ principal: "admin", password: "nope" }) });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { errors: { code: string }[] }).errors[0]?.code, "UNAUTHORIZED");
  });

  it("NUL in a query, path or body: 400 in the API's format from the services, 400 from nginx in the path", async () => {
    const token = (await (await fetch(`${stack.baseUrl}/service/token?service=berth-registry&scope=registry:catalog:*`, { headers: basicAuth("admin", stack.adminPassword) })).json()) as { token: string };
    for (const path of ["/v2/_catalog?last=%00", "/v2/library/nul/tags/list?last=a%00"]) {
      const res = await fetch(`${stack.baseUrl}${path}`, { headers: { authorization: `Bearer ${token.token}` } });
      assert.equal(res.status, 400, path);
      assert.equal(res.headers.get("docker-distribution-api-version"), "registry/2.0", path);
      assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, "BAD_REQUEST", path);
    }
    const admin = basicAuth("admin", stack.adminPassword);
    for (const path of ["/api/v2.0/projects?name=%00", "/api/v2.0/users?username=a%00", "/api/v2.0/projects/a%00b"]) {
      const res = await fetch(`${stack.baseUrl}${path}`, { headers: admin });
      assert.equal(res.status, 400, path);
      assert.equal(res.headers.get("docker-distribution-api-version"), null, path);
      assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, "BAD_REQUEST", path);
    }
    const body = await fetch(`${stack.baseUrl}/api/v2.0/projects`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ project_name: "nul", metadata: { public: "false\u0000" } }),
    });
    assert.equal(body.status, 400);
    assert.match(((await body.json()) as { errors: { message: string }[] }).errors[0]!.message, /body\.metadata\.public contains a NUL character/);
    const none = await fetch(`${stack.baseUrl}/api/v2.0/projects?name=nul`, { headers: admin });
    assert.deepEqual(await none.json(), [], "nothing was written");
  });

  // Last in this stack: it leaves 127.0.0.1 over the limit for the rest of the window.
  it("a client's X-Forwarded-For does not escape the login rate limiter", async () => {
    // Each attempt claims another address; all count against the one nginx saw (127.0.0.1), which
    // earlier failed logins of this file may already have used: the limit comes within MAX_FAILURES.
    const statuses: number[] = [];
    for (let i = 0; i <= MAX_FAILURES && statuses.at(-1) !== 429; i++) statuses.push(await failedLogin(stack, `198.51.100.${i + 1}`));
    assert.equal(statuses.at(-1), 429, `statuses: ${statuses.join(", ")}`);
    assert.ok(statuses.slice(0, -1).every((s) => s === 401), `statuses: ${statuses.join(", ")}`);
    assert.equal(await failedLogin(stack, "203.0.113.99"), 429);
    assert.equal(await failedLogin(stack, "203.0.113.100, 203.0.113.101"), 429);
  });
});

describe("behind a trusted proxy (BERTH_TRUSTED_PROXIES)", { timeout: 300_000 }, () => {
  let stack: TestStack;
  before(async () => {
    // The test client stands in for a load balancer on 127.0.0.1 that sets X-Forwarded-For.
    stack = await startTestStack("trusted-proxy", { env: { BERTH_LOGIN_MAX_FAILURES: String(MAX_FAILURES), BERTH_TRUSTED_PROXIES: "127.0.0.1/32" } });
  });
  after(async () => {
    await stack?.stop();
  });

  it("the forwarded address is believed: limited per client, not per proxy", async () => {
    for (let i = 0; i < MAX_FAILURES; i++) assert.equal(await failedLogin(stack, "192.0.2.10"), 401, `attempt ${i + 1}`);
    assert.equal(await failedLogin(stack, "192.0.2.10"), 429, "that client is over the limit");
    // Another client behind the same proxy is not.
    assert.equal(await failedLogin(stack, "192.0.2.20"), 401);
    // A client cannot put its own pick in front of what the proxy appended.
    assert.equal(await failedLogin(stack, "192.0.2.30, 192.0.2.10"), 429);
    // The admin, through the proxy from yet another address, still logs in.
    const res = await fetch(`${stack.baseUrl}/api/v2.0/users/current`, { headers: { ...basicAuth("admin", stack.adminPassword), "x-forwarded-for": "192.0.2.40" } });
    assert.equal(res.status, 200);
  });
});
