// OIDC sign-in against a real provider: panva's oidc-provider started here over HTTPS (a test
// CA), with users, a groups claim and a login page walked over HTTP. Through core's HTTP API:
// the authorization-code flow with PKCE to a session, auto-onboarding or the onboarding form,
// groups → user groups → project roles, the admin group, CLI secrets (docker login's password)
// that are regenerable, refreshed when the ID token expires, refused once the provider refuses the
// refresh, and a clear 503 while the provider is unreachable.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startOidcProvider, walkOidcLogin, type TestOidcProvider } from "@berth/test-idp";
import { CSRF_HEADER } from "../../auth/csrf.js";
import { adminAuth, basic, call, startTestCore, type TestCore } from "../../test-support.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"]);
const EXTERNAL = "http://127.0.0.1:18080";

async function tokenActions(core: TestCore, user: string, secret: string, repo: string): Promise<{ status: number; actions?: string[]; message?: string }> {
  const res = await call(core.base, "GET", `/service/token?service=berth-registry&scope=repository:${repo}:pull,push,delete`, { headers: basic(user, secret) });
  if (res.status !== 200) return { status: res.status, message: res.data?.errors?.[0]?.message };
  return { status: 200, actions: JSON.parse(Buffer.from(res.data.token.split(".")[1], "base64url").toString()).access[0].actions };
}

describe("OIDC sign-in against oidc-provider", { skip: !enabled && "needs BERTH_TEST_PG_URL" }, () => {
  let core: TestCore;
  let provider: TestOidcProvider;
  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = adminAuth()) => call(core.base, method, `/api/v2.0${path}`, { headers, body });
  /** Signs `username` in through the provider; returns the session cookie. */
  async function signIn(username: string, password: string): Promise<{ cookie: string; walk: Awaited<ReturnType<typeof walkOidcLogin>> }> {
    const walk = await walkOidcLogin({ startUrl: `${core.base}/c/oidc/login`, username, password, ca: provider.tls.ca, stopAt: (u) => u.origin === EXTERNAL });
    // The provider redirects to the external URL; this test's core listens elsewhere: follow by hand.
    const callback = new URL(walk.url);
    assert.equal(callback.pathname, "/c/oidc/callback", walk.trail.join("\n"));
    const state = walk.cookies.get("berth_oidc_state");
    const res = await fetch(`${core.base}${callback.pathname}${callback.search}`, { redirect: "manual", headers: state ? { cookie: `berth_oidc_state=${state}` } : {} });
    const cookies = res.headers.getSetCookie();
    const sid = cookies.map((c) => /^sid=([^;]+)/.exec(c)?.[1]).find(Boolean);
    return { cookie: sid ? `sid=${sid}` : "", walk: { ...walk, status: res.status, url: res.headers.get("location") ?? "", body: await res.text(), cookies: new Map(cookies.map((c) => c.split(";")[0]!.split("=") as [string, string])) } };
  }
  const settings = () => ({
    auth_mode: "oidc_auth",
    oidc_name: "Test IdP",
    oidc_endpoint: provider.issuer,
    oidc_client_id: provider.clientId,
    oidc_client_secret: provider.clientSecret,
    oidc_scope: "openid,profile,email,groups,offline_access",
    oidc_groups_claim: "groups",
    oidc_admin_group: "registry-admins",
    oidc_group_filter: "^(?!ignored-)",
    oidc_user_claim: "preferred_username",
    oidc_ca_cert: provider.tls.ca,
    oidc_auto_onboard: true,
  });

  before(async () => {
    provider = await startOidcProvider({
      redirectUris: [`${EXTERNAL}/c/oidc/callback`],
      // Shorter than Berth's 10 s refresh margin: every use of a CLI secret refreshes.
      idTokenTtlSeconds: 5,
      users: [
        { id: "u-erin", username: "erin", password: "Erin-Passw0rd", groups: ["developers", "ignored-x"] },
        { id: "u-frank", username: "frank", password: "Frank-Passw0rd", groups: ["registry-admins"] },
        { id: "u-gina", username: "gina", password: "Gina-Passw0rd", groups: [] },
      ],
    });
    core = await startTestCore({ redis: "none", externalUrl: EXTERNAL });
  });
  after(async () => {
    await core?.close();
    await provider?.stop();
  });

  it("configures oidc_auth; the client secret is write-only and sealed; systeminfo names the provider", async () => {
    assert.equal((await call(core.base, "GET", "/c/oidc/login")).status, 412, "no OIDC sign-in in db_auth");
    assert.equal((await api("PUT", "/configurations", { auth_mode: "oidc_auth" })).status, 400, "oidc_auth needs an endpoint and a client");
    assert.equal((await api("PUT", "/configurations", { oidc_endpoint: "http://idp.example.com" })).status, 400, "plain http only on loopback");
    const put = await api("PUT", "/configurations", settings());
    assert.equal(put.status, 200, JSON.stringify(put.data));
    const shown = await api("GET", "/configurations");
    assert.equal(shown.data.oidc_client_secret, undefined);
    assert.equal(shown.data.oidc_endpoint.value, provider.issuer);
    const row = await core.db.configuration.findUniqueOrThrow({ where: { key: "oidc_client_secret" } });
    assert.match(String(row.value), /^v1\./);
    const info = (await call(core.base, "GET", "/api/v2.0/systeminfo")).data;
    assert.deepEqual([info.auth_mode, info.oidc_provider_name], ["oidc_auth", "Test IdP"]);
  });

  it("the login redirects with PKCE, state and nonce; the callback lands on / with a session", async () => {
    const start = await fetch(`${core.base}/c/oidc/login`, { redirect: "manual" });
    assert.equal(start.status, 302);
    const location = new URL(start.headers.get("location")!);
    assert.equal(location.origin, provider.issuer);
    for (const p of ["state", "nonce", "code_challenge"]) assert.ok(location.searchParams.get(p), p);
    assert.equal(location.searchParams.get("code_challenge_method"), "S256");
    assert.equal(location.searchParams.get("redirect_uri"), `${EXTERNAL}/c/oidc/callback`);
    assert.match(start.headers.get("set-cookie") ?? "", /berth_oidc_state=v1\..*HttpOnly.*SameSite=Lax/i);

    const { cookie, walk } = await signIn("erin", "Erin-Passw0rd");
    assert.equal(walk.status, 302, walk.body);
    assert.equal(walk.url, "/");
    assert.ok(cookie, "a session cookie");
    const me = await api("GET", "/users/current", undefined, { cookie });
    assert.equal(me.status, 200, JSON.stringify(me.data));
    assert.equal(me.data.username, "erin");
    assert.equal(me.data.email, "erin@oidc.berth.test");
    assert.ok(me.data.oidc_user_meta.subiss.startsWith("u-erin"));
    assert.match(me.data.oidc_user_meta.secret, /^[A-Za-z0-9]{32}$/);
    // Groups: "ignored-x" is filtered out by oidc_group_filter.
    const groups = (await api("GET", "/usergroups")).data.map((g: { group_name: string; group_type: number }) => [g.group_name, g.group_type]);
    assert.deepEqual(groups, [["developers", 3]]);
    // A callback without the state cookie (another browser, a replay) is refused.
    const replay = await fetch(`${core.base}/c/oidc/callback?code=x&state=y`);
    assert.equal(replay.status, 400);
  });

  it("the groups claim gives project roles; the CLI secret works for tokens and the API, and is regenerable", async () => {
    assert.equal((await api("POST", "/projects", { project_name: "apps" })).status, 201);
    assert.equal((await api("POST", "/projects/apps/members", { role_id: 2, member_group: { group_name: "developers", group_type: 3 } })).status, 201);
    const { cookie } = await signIn("erin", "Erin-Passw0rd");
    const me = (await api("GET", "/users/current", undefined, { cookie })).data;
    const secret: string = me.oidc_user_meta.secret;
    assert.deepEqual(await tokenActions(core, "erin", secret, "apps/web"), { status: 200, actions: ["pull", "push"] });
    assert.equal((await api("GET", "/projects/apps", undefined, basic("erin", secret))).data.current_user_role_id, 2);
    // Nobody signs in to the browser session with a CLI secret.
    const form = await fetch(`${core.base}/c/login`, { method: "POST", body: new URLSearchParams({ principal: "erin", password: secret }) });
    assert.equal(form.status, 401);
    // Regenerate (a cookie write needs the CSRF token).
    const csrf = (await api("GET", "/users/current", undefined, { cookie })).headers.get(CSRF_HEADER)!;
    assert.equal((await api("PUT", `/users/${me.user_id}/cli_secret`, {}, { cookie })).status, 403, "no CSRF token");
    const renewed = await api("PUT", `/users/${me.user_id}/cli_secret`, { secret: "Chosen-Secret-1" }, { cookie, [CSRF_HEADER]: csrf });
    assert.equal(renewed.status, 200, JSON.stringify(renewed.data));
    assert.equal((await tokenActions(core, "erin", secret, "apps/web")).status, 401, "the old secret stops working");
    assert.deepEqual(await tokenActions(core, "erin", "Chosen-Secret-1", "apps/web"), { status: 200, actions: ["pull", "push"] });
    assert.equal((await api("PUT", `/users/${me.user_id}/cli_secret`, { secret: "weak" }, { cookie, [CSRF_HEADER]: csrf })).status, 400);
    const generated = await api("PUT", `/users/${me.user_id}/cli_secret`, {}, { cookie, [CSRF_HEADER]: csrf });
    assert.match(generated.data.secret, /^[A-Za-z0-9]{32}$/);
    assert.equal((await tokenActions(core, "erin", "Chosen-Secret-1", "apps/web")).status, 401);
    assert.equal((await tokenActions(core, "erin", generated.data.secret, "apps/web")).status, 200);
    // Others see the user's OIDC identity but never the secret.
    const seen = await api("GET", `/users/${me.user_id}`);
    assert.equal(seen.data.oidc_user_meta.secret, undefined);
  });

  it("each use refreshes an expired ID token; a refused refresh ends the secret; an unreachable provider is a clear 503", async () => {
    const { cookie } = await signIn("erin", "Erin-Passw0rd");
    const secret: string = (await api("GET", "/users/current", undefined, { cookie })).data.oidc_user_meta.secret;
    const before = provider.refreshes;
    assert.equal((await tokenActions(core, "erin", secret, "apps/web")).status, 200);
    assert.ok(provider.refreshes > before, "the expired ID token was refreshed with the provider");
    // The groups of the refreshed token apply: out of developers, no push.
    provider.users.get("u-erin")!.groups = [];
    assert.deepEqual(await tokenActions(core, "erin", secret, "apps/web"), { status: 200, actions: [] });
    provider.users.get("u-erin")!.groups = ["developers"];
    assert.deepEqual(await tokenActions(core, "erin", secret, "apps/web"), { status: 200, actions: ["pull", "push"] });
    // Unreachable provider: 503 that says so; nothing counts as a failed login.
    await provider.pause();
    try {
      const down = await tokenActions(core, "erin", secret, "apps/web");
      assert.equal(down.status, 503);
      assert.match(down.message ?? "", /OIDC provider is unreachable/);
    } finally {
      await provider.resume();
    }
    assert.equal((await tokenActions(core, "erin", secret, "apps/web")).status, 200);
    // The provider disables the user: the refresh is refused, the secret stops working.
    provider.users.get("u-erin")!.disabled = true;
    assert.equal((await tokenActions(core, "erin", secret, "apps/web")).status, 401);
    assert.equal((await api("GET", "/users/current", undefined, basic("erin", secret))).status, 401);
    provider.users.get("u-erin")!.disabled = false;
  });

  it("a member of the admin group is a system administrator; without auto-onboarding the user picks a name", async () => {
    const { cookie } = await signIn("frank", "Frank-Passw0rd");
    const me = (await api("GET", "/users/current", undefined, { cookie })).data;
    assert.equal(me.admin_role_in_auth, true);
    assert.equal((await api("GET", "/audit-logs", undefined, { cookie })).status, 200);

    assert.equal((await api("PUT", "/configurations", { oidc_auto_onboard: false })).status, 200);
    const { walk } = await signIn("gina", "Gina-Passw0rd");
    assert.equal(walk.status, 302);
    assert.equal(walk.url, "/oidc-onboard?username=gina");
    const pending = walk.cookies.get("berth_oidc_onboard");
    assert.ok(pending);
    assert.equal(await core.db.user.count({ where: { username: { in: ["gina", "gina2"] } } }), 0);
    const taken = await fetch(`${core.base}/c/oidc/onboard`, { method: "POST", headers: { cookie: `berth_oidc_onboard=${pending}` }, body: new URLSearchParams({ username: "erin" }) });
    assert.equal(taken.status, 409, "a taken name");
    const onboard = await fetch(`${core.base}/c/oidc/onboard`, { method: "POST", headers: { cookie: `berth_oidc_onboard=${pending}` }, body: new URLSearchParams({ username: "gina2" }) });
    assert.equal(onboard.status, 200, await onboard.text());
    const sid = onboard.headers.getSetCookie().map((c) => /^sid=([^;]+)/.exec(c)?.[1]).find(Boolean);
    assert.equal((await api("GET", "/users/current", undefined, { cookie: `sid=${sid}` })).data.username, "gina2");
    assert.equal((await fetch(`${core.base}/c/oidc/onboard`, { method: "POST", body: new URLSearchParams({ username: "gina3" }) })).status, 400, "no pending sign-in");
    // Deleting the user removes the OIDC link: the next sign-in on-boards anew.
    const gina2 = await core.db.user.findUniqueOrThrow({ where: { username: "gina2" } });
    assert.equal((await api("DELETE", `/users/${gina2.id}`)).status, 200);
    assert.equal(await core.db.oidcUser.count({ where: { userId: gina2.id } }), 0);
    assert.equal((await signIn("gina", "Gina-Passw0rd")).walk.url, "/oidc-onboard?username=gina");
  });
});
