// LDAP sign-in through the front door with the Docker engine: a real slapd started here (users,
// groupOfNames groups, StartTLS with a CA this test made), Berth switched to ldap_auth through
// /api/v2.0/configurations. An LDAP user signs into the portal (chromium), logs into the API and
// with `docker login`, pushes into a project where their LDAP group is developer; removed from the
// group, their next token has no push; with the directory hung, logins answer a clear 503 and the
// database admin still works. And a system-level robot pushes into the two projects it was given
// and nowhere else.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LDAP_ADMIN_DN, LDAP_ADMIN_PASSWORD, LDAP_GROUPS_DN, LDAP_PEOPLE_DN, startSlapd, type TestSlapd } from "@berth/test-idp";
import { CoreApi, ROLE } from "./support/api.js";
import { launchBrowser } from "./support/browser.js";
import { assertAccessible, signIn } from "./support/portal.js";
import { Dockerd } from "./support/docker.js";
import type { RunResult } from "./support/exec.js";
import { tar } from "./support/images.js";
import { startTestStack, type TestStack } from "./support/stack.js";

const PW = "Ldap-E2e-Passw0rd";

function succeeded(r: RunResult, what: string): void {
  assert.equal(r.code, 0, `${what} should succeed:\n${r.describe}`);
}
function refused(r: RunResult, what: string, reason: RegExp): void {
  assert.notEqual(r.code, 0, `${what} should be refused:\n${r.describe}`);
  assert.match(`${r.stdout}\n${r.stderr}`, reason, `${what}: refused for the wrong reason:\n${r.describe}`);
}
const DENIED = /denied|unauthorized|insufficient_scope|forbidden|authentication required/i;

/** The actions of the token `api`'s credentials get for `scope`. */
async function actions(api: CoreApi, scope: string): Promise<string[]> {
  const token = await api.token([scope]);
  return (JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { access: { actions: string[] }[] }).access[0]!.actions;
}

describe("LDAP sign-in and system robots through nginx with the Docker engine", { timeout: 600_000 }, () => {
  let stack: TestStack;
  let slapd: TestSlapd;
  let dockerd: Dockerd;
  let dockerReady: Promise<void>;
  let api: CoreApi;
  let reg: string;
  const work = mkdtempSync(join(tmpdir(), "berth-e2e-ldap-"));

  before(async () => {
    dockerd = new Dockerd();
    dockerReady = dockerd.start();
    dockerReady.catch(() => undefined);
    slapd = await startSlapd();
    await slapd.addUser("alice", PW);
    await slapd.addUser("bob", PW);
    await slapd.addUser("carl", PW);
    // groupOfNames needs a member: carl stays when alice leaves.
    await slapd.addGroup("developers", ["alice", "carl"]);
    stack = await startTestStack("ldap");
    reg = stack.registry;
    api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    await api.ok("PUT", "/configurations", {
      auth_mode: "ldap_auth",
      ldap_url: slapd.url,
      ldap_start_tls: true,
      ldap_ca_cert: slapd.tls.ca,
      ldap_search_dn: LDAP_ADMIN_DN,
      ldap_search_password: LDAP_ADMIN_PASSWORD,
      ldap_base_dn: LDAP_PEOPLE_DN,
      ldap_uid: "uid",
      ldap_filter: "(objectClass=inetOrgPerson)",
      ldap_timeout: 3,
      ldap_group_base_dn: LDAP_GROUPS_DN,
    });
    for (const p of ["team", "ops", "other"]) await api.createProject(p);
    await api.ok("POST", "/projects/team/members", { role_id: ROLE.developer, member_group: { ldap_group_dn: slapd.groupDn("developers") } });
    await dockerReady;
    writeFileSync(join(work, "rootfs.tar"), tar({ "hello.txt": "hello from an LDAP user\n" }));
    succeeded(await dockerd.import(join(work, "rootfs.tar"), "local/ldap:1"), "docker import");
  });

  after(async () => {
    await dockerd?.stop().catch(() => undefined);
    await stack?.stop();
    await slapd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("an LDAP user logs into the API, and with docker login pushes where their group is developer", async () => {
    const me = await api.as("alice", PW).request("GET", "/users/current");
    assert.equal(me.status, 200, me.text);
    assert.equal((me.body as { username: string }).username, "alice");
    refused(await dockerd.login(reg, "alice", "Wrong-Passw0rd"), "docker login with a wrong password", /unauthorized|incorrect|invalid/i);
    succeeded(await dockerd.login(reg, "alice", PW), "docker login alice");
    succeeded(await dockerd.docker(["tag", "local/ldap:1", `${reg}/team/ldap:1`]), "docker tag");
    succeeded(await dockerd.docker(["push", `${reg}/team/ldap:1`]), "docker push as a developer through the LDAP group");
    succeeded(await dockerd.docker(["tag", "local/ldap:1", `${reg}/other/ldap:1`]), "docker tag");
    refused(await dockerd.docker(["push", `${reg}/other/ldap:1`]), "docker push where the group has no role", DENIED);
    succeeded(await dockerd.logout(reg), "docker logout");
    // bob is in no group: nothing in team.
    succeeded(await dockerd.login(reg, "bob", PW), "docker login bob");
    refused(await dockerd.docker(["push", `${reg}/team/ldap:1`]), "docker push without a role", DENIED);
    succeeded(await dockerd.logout(reg), "docker logout bob");
  });

  it("an LDAP user signs into the portal and sees the project their group is a member of, and not the others", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await signIn(page, stack.baseUrl, "carl", PW);
      await page.getByRole("link", { name: "team", exact: true }).waitFor();
      await assertAccessible(page, "the projects page of an LDAP user");
      assert.equal(await page.getByRole("link", { name: "other", exact: true }).count(), 0, "a private project the user has no role in");
      assert.equal(await page.getByRole("navigation", { name: "Main" }).getByText("Administration").count(), 0);
    } finally {
      await browser.close();
    }
  });

  it("removed from the LDAP group, the user's next token has no push", async () => {
    const alice = api.as("alice", PW);
    assert.deepEqual(await actions(alice, "repository:team/ldap:pull,push"), ["pull", "push"]);
    await slapd.removeMember("developers", "alice");
    assert.deepEqual(await actions(alice, "repository:team/ldap:pull,push"), []);
    succeeded(await dockerd.login(reg, "alice", PW), "docker login alice (still a valid user)");
    succeeded(await dockerd.docker(["tag", "local/ldap:1", `${reg}/team/ldap:2`]), "docker tag");
    refused(await dockerd.docker(["push", `${reg}/team/ldap:2`]), "docker push after leaving the group", DENIED);
    succeeded(await dockerd.logout(reg), "docker logout");
  });

  it("with the directory hung, LDAP logins answer a clear 503 and the database admin still works", async () => {
    slapd.pause();
    try {
      const res = await api.as("alice", PW).request("GET", "/users/current");
      assert.equal(res.status, 503, res.text);
      assert.match(res.text, /SERVICE_UNAVAILABLE.*LDAP server ldap:\/\/127\.0\.0\.1:\d+ is unavailable/);
      const token = await fetch(`${stack.baseUrl}/service/token?service=berth-registry&scope=repository:team/ldap:pull`, { headers: { authorization: `Basic ${Buffer.from(`alice:${PW}`).toString("base64")}` } });
      assert.equal(token.status, 503);
      assert.ok(token.headers.get("retry-after"));
      const login = await dockerd.login(reg, "alice", PW);
      assert.notEqual(login.code, 0, login.describe);
      assert.match(login.stderr, /503|unavailable/i, login.describe);
      assert.equal((await api.request("GET", "/users/current")).status, 200, "admin signs in against the database");
      succeeded(await dockerd.login(reg, "admin", stack.adminPassword), "docker login admin");
      succeeded(await dockerd.docker(["tag", "local/ldap:1", `${reg}/team/admin:1`]), "docker tag");
      succeeded(await dockerd.docker(["push", `${reg}/team/admin:1`]), "admin pushes while LDAP is hung");
      succeeded(await dockerd.logout(reg), "docker logout admin");
    } finally {
      slapd.resume();
    }
    assert.equal((await api.as("alice", PW).request("GET", "/users/current")).status, 200, "back with the directory");
  });

  it("a system robot pushes into the two projects it was given and nothing else", async () => {
    const created = await api.ok("POST", "/robots", {
      name: "deployer",
      level: "system",
      duration: -1,
      permissions: [
        { kind: "project", namespace: "team", access: [{ resource: "repository", action: "push" }, { resource: "repository", action: "pull" }] },
        { kind: "project", namespace: "ops", access: [{ resource: "repository", action: "push" }, { resource: "repository", action: "pull" }] },
        { kind: "system", namespace: "/", access: [{ resource: "audit-log", action: "list" }] },
      ],
    });
    const robot = created.body as { name: string; secret: string };
    assert.equal(robot.name, "robot$deployer");
    succeeded(await dockerd.login(reg, robot.name, robot.secret), "docker login system robot");
    for (const p of ["team", "ops"]) {
      succeeded(await dockerd.docker(["tag", "local/ldap:1", `${reg}/${p}/robot:1`]), "docker tag");
      succeeded(await dockerd.docker(["push", `${reg}/${p}/robot:1`]), `system robot push to ${p}`);
    }
    succeeded(await dockerd.docker(["tag", "local/ldap:1", `${reg}/other/robot:1`]), "docker tag");
    refused(await dockerd.docker(["push", `${reg}/other/robot:1`]), "system robot push outside its projects", DENIED);
    succeeded(await dockerd.logout(reg), "docker logout robot");
    const asRobot = api.as(robot.name, robot.secret);
    assert.equal((await asRobot.request("GET", "/audit-logs")).status, 200, "its system permission");
    assert.equal((await asRobot.request("GET", "/users")).status, 403, "no user:list permission");
    assert.equal((await asRobot.request("GET", "/system/gc")).status, 403, "no garbage-collection permission");
    assert.deepEqual(await actions(asRobot, "repository:other/robot:pull,push"), []);
  });
});
