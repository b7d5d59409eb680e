// OIDC sign-in in a real browser through the front door: headless chromium (Debian's, driven by
// playwright-core) walks a real provider's login page (oidc-provider, started here over HTTPS)
// from /c/oidc/login to the callback, which lands on / with a session; GET
// /api/v2.0/users/current in that page shows the user and their CLI secret; the secret is the
// password of `docker login` for push and pull (Docker clients cannot do OIDC) and stops working
// once the user regenerates it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOidcProvider, type TestOidcProvider } from "@berth/test-idp";
import { CoreApi, ROLE } from "./support/api.js";
import { launchBrowser, type TestBrowser } from "./support/browser.js";
import { Dockerd } from "./support/docker.js";
import type { RunResult } from "./support/exec.js";
import { tar } from "./support/images.js";
import { startTestStack, type TestStack } from "./support/stack.js";

function succeeded(r: RunResult, what: string): void {
  assert.equal(r.code, 0, `${what} should succeed:\n${r.describe}`);
}

interface CurrentUser {
  user_id: number;
  username: string;
  oidc_user_meta?: { subiss: string; secret?: string };
}

describe("OIDC sign-in in chromium, CLI secrets with the Docker engine", { timeout: 600_000 }, () => {
  let stack: TestStack;
  let provider: TestOidcProvider;
  let browser: TestBrowser;
  let dockerd: Dockerd;
  let dockerReady: Promise<void>;
  let api: CoreApi;
  let reg: string;
  const work = mkdtempSync(join(tmpdir(), "berth-e2e-oidc-"));

  before(async () => {
    dockerd = new Dockerd();
    dockerReady = dockerd.start();
    dockerReady.catch(() => undefined);
    stack = await startTestStack("oidc");
    reg = stack.registry;
    api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    provider = await startOidcProvider({
      redirectUris: [`${stack.baseUrl}/c/oidc/callback`],
      users: [{ id: "u-hana", username: "hana", password: "Hana-Passw0rd", groups: ["builders"] }],
    });
    await api.ok("PUT", "/configurations", {
      auth_mode: "oidc_auth",
      oidc_name: "Test IdP",
      oidc_endpoint: provider.issuer,
      oidc_client_id: provider.clientId,
      oidc_client_secret: provider.clientSecret,
      oidc_ca_cert: provider.tls.ca,
      oidc_scope: "openid,profile,email,groups,offline_access",
      oidc_groups_claim: "groups",
      oidc_user_claim: "preferred_username",
      oidc_auto_onboard: true,
    });
    await api.createProject("apps");
    await api.ok("POST", "/projects/apps/members", { role_id: ROLE.developer, member_group: { group_name: "builders", group_type: 3 } });
    // The provider's certificate is from this test's CA, which chromium does not know.
    browser = await launchBrowser({ ignoreHTTPSErrors: true });
    await dockerReady;
    writeFileSync(join(work, "rootfs.tar"), tar({ "hello.txt": "hello from an OIDC user\n" }));
    succeeded(await dockerd.import(join(work, "rootfs.tar"), `${reg}/apps/oidc:1`), "docker import");
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await dockerd?.stop().catch(() => undefined);
    await stack?.stop();
    await provider?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  let secret = "";
  let userId = 0;

  it("the browser walks the provider's login page to the callback, which lands on / with a session", async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.baseUrl}/c/oidc/login`);
    assert.equal(new URL(page.url()).origin, provider.issuer, "sent to the provider");
    await page.fill("#login", "hana");
    await page.fill("#password", "Hana-Passw0rd");
    await Promise.all([page.waitForURL(`${stack.baseUrl}/`), page.click("#submit")]);
    assert.equal(page.url(), `${stack.baseUrl}/`);
    const me = await page.evaluate(async () => {
      const res = await fetch("/api/v2.0/users/current");
      return { status: res.status, body: (await res.json()) as unknown };
    });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    const user = me.body as CurrentUser;
    assert.equal(user.username, "hana");
    assert.ok(user.oidc_user_meta?.subiss.startsWith("u-hana"));
    secret = user.oidc_user_meta?.secret ?? "";
    userId = user.user_id;
    assert.match(secret, /^[A-Za-z0-9]{32}$/);
    const cookies = await browser.context.cookies(stack.baseUrl);
    const sid = cookies.find((c) => c.name === "sid");
    assert.ok(sid?.httpOnly, "the session cookie is HttpOnly");
    await page.close();
  });

  it("the CLI secret is the password for docker login, push and pull", async () => {
    succeeded(await dockerd.login(reg, "hana", secret), "docker login with the CLI secret");
    succeeded(await dockerd.docker(["push", `${reg}/apps/oidc:1`]), "docker push as a developer through the OIDC group");
    succeeded(await dockerd.docker(["rmi", `${reg}/apps/oidc:1`]), "docker rmi");
    succeeded(await dockerd.docker(["pull", `${reg}/apps/oidc:1`]), "docker pull");
    succeeded(await dockerd.logout(reg), "docker logout");
    const wrong = await dockerd.login(reg, "hana", "Hana-Passw0rd");
    assert.notEqual(wrong.code, 0, `the provider password is not a registry password:\n${wrong.describe}`);
  });

  it("once regenerated in the browser session, the old secret stops working and the new one works", async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.baseUrl}/`);
    const renewed = await page.evaluate(async (id) => {
      const current = await fetch("/api/v2.0/users/current");
      const csrf = current.headers.get("X-Harbor-CSRF-Token") ?? "";
      const res = await fetch(`/api/v2.0/users/${id}/cli_secret`, { method: "PUT", headers: { "content-type": "application/json", "X-Harbor-CSRF-Token": csrf }, body: "{}" });
      return { status: res.status, body: (await res.json()) as { secret?: string } };
    }, userId);
    await page.close();
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    const fresh = renewed.body.secret ?? "";
    assert.match(fresh, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(fresh, secret);
    const old = await dockerd.login(reg, "hana", secret);
    assert.notEqual(old.code, 0, `the old secret must stop working:\n${old.describe}`);
    assert.match(old.stderr, /unauthorized|incorrect|401/i, old.describe);
    succeeded(await dockerd.login(reg, "hana", fresh), "docker login with the new secret");
    succeeded(await dockerd.docker(["pull", `${reg}/apps/oidc:1`]), "docker pull with the new secret");
    succeeded(await dockerd.logout(reg), "docker logout");
  });
});
