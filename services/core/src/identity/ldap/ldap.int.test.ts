// LDAP sign-in against a real directory: Debian's slapd started here with a test directory
// (users, groupOfNames groups, the memberOf overlay) and TLS from a CA this test made. Through
// core's HTTP API: configuration (secrets write-only, sealed), Basic auth and tokens for LDAP
// users, groups as project members, the admin group, StartTLS/LDAPS with and without the CA,
// a directory that is down or hung (503, admin still works), and the /ldap and /usergroups APIs.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LDAP_ADMIN_DN, LDAP_ADMIN_PASSWORD, LDAP_GROUPS_DN, LDAP_PEOPLE_DN, startSlapd, type TestSlapd } from "@berth/test-idp";
import { ADMIN_PASSWORD, adminAuth, basic, call, startTestCore, type TestCore } from "../../test-support.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"]);
const PW = "Ldap-User-Passw0rd";

/** The actions a token grants on `repo` to `user`. */
async function granted(core: TestCore, user: string, password: string, repo: string): Promise<string[]> {
  const res = await call(core.base, "GET", `/service/token?service=berth-registry&scope=repository:${repo}:pull,push,delete`, { headers: basic(user, password) });
  assert.equal(res.status, 200, `token for ${user}: ${JSON.stringify(res.data)}`);
  return JSON.parse(Buffer.from(res.data.token.split(".")[1], "base64url").toString()).access[0].actions;
}

describe("LDAP sign-in against slapd", { skip: !enabled && "needs BERTH_TEST_PG_URL" }, () => {
  let core: TestCore;
  let slapd: TestSlapd;
  const api = (method: string, path: string, body?: unknown, headers = adminAuth()) => call(core.base, method, `/api/v2.0${path}`, { headers, body });
  const base = () => ({
    ldap_url: slapd.url,
    ldap_search_dn: LDAP_ADMIN_DN,
    ldap_search_password: LDAP_ADMIN_PASSWORD,
    ldap_base_dn: LDAP_PEOPLE_DN,
    ldap_filter: "(objectClass=inetOrgPerson)",
    ldap_uid: "uid",
    ldap_scope: 2,
    ldap_timeout: 2,
    ldap_start_tls: true,
    ldap_ca_cert: slapd.tls.ca,
    ldap_group_base_dn: LDAP_GROUPS_DN,
    ldap_group_search_filter: "(objectClass=groupOfNames)",
    ldap_group_attribute_name: "cn",
    ldap_group_admin_dn: `cn=registry-admins,${LDAP_GROUPS_DN}`,
  });

  before(async () => {
    slapd = await startSlapd();
    for (const uid of ["alice", "bob", "carol", "root"]) await slapd.addUser(uid, PW, { cn: `${uid} Example` });
    await slapd.addGroup("developers", ["alice", "bob"]);
    await slapd.addGroup("guests", ["carol"]);
    await slapd.addGroup("registry-admins", ["root"]);
    core = await startTestCore({ redis: "test", loginRateLimit: { maxFailures: 5, windowSeconds: 60 } });
  });
  after(async () => {
    await core?.close();
    await slapd?.stop();
  });

  it("configures ldap_auth through /configurations: secrets write-only and sealed, the mode editable while admin is alone", async () => {
    const initial = await api("GET", "/configurations");
    assert.equal(initial.status, 200);
    assert.deepEqual(initial.data.auth_mode, { value: "db_auth", editable: true });
    assert.equal(initial.data.ldap_search_password, undefined, "secret keys are never shown");
    assert.equal((await api("PUT", "/configurations", { auth_mode: "ldap_auth" })).status, 400, "ldap_auth without ldap_url is refused");
    assert.equal((await api("PUT", "/configurations", { bogus_key: 1 })).status, 400, "unknown keys are refused");
    assert.equal((await api("PUT", "/configurations", { ldap_ca_cert: "not a certificate" })).status, 400);
    const put = await api("PUT", "/configurations", { ...base(), auth_mode: "ldap_auth" });
    assert.equal(put.status, 200, JSON.stringify(put.data));
    const shown = await api("GET", "/configurations");
    assert.equal(shown.data.auth_mode.value, "ldap_auth");
    assert.equal(shown.data.ldap_url.value, slapd.url);
    assert.equal(shown.data.ldap_search_password, undefined);
    assert.doesNotMatch(JSON.stringify(shown.data), new RegExp(LDAP_ADMIN_PASSWORD));
    const row = await core.db.configuration.findUniqueOrThrow({ where: { key: "ldap_search_password" } });
    assert.match(String(row.value), /^v1\./, "the bind password is sealed with the data key");
    assert.doesNotMatch(JSON.stringify(row.value), new RegExp(LDAP_ADMIN_PASSWORD));
    // Not for anyone else.
    assert.equal((await call(core.base, "GET", "/api/v2.0/configurations")).status, 401);
    assert.equal((await call(core.base, "GET", "/api/v2.0/systeminfo")).data.auth_mode, "ldap_auth");
  });

  it("an LDAP user signs into the API with Basic auth and is on-boarded at the first login", async () => {
    assert.equal(await core.db.user.count({ where: { username: "alice" } }), 0);
    const me = await api("GET", "/users/current", undefined, basic("alice", PW));
    assert.equal(me.status, 200, JSON.stringify(me.data));
    assert.equal(me.data.username, "alice");
    assert.equal(me.data.email, "alice@ldap.berth.test");
    assert.equal(me.data.realname, "alice Example");
    assert.equal(me.data.sysadmin_flag, false);
    assert.equal((await api("GET", "/users/current", undefined, basic("alice", "Wrong-Passw0rd"))).status, 401);
    assert.equal((await api("GET", "/users/current", undefined, basic("nobody", PW))).status, 401);
    // An empty password is an unauthenticated bind, which slapd accepts: never a login.
    assert.equal((await api("GET", "/users/current", undefined, { authorization: `Basic ${Buffer.from("alice:").toString("base64")}` })).status, 401);
    // On-boarded users have no password of their own, and nobody creates local users in ldap_auth.
    assert.equal((await api("PUT", `/users/${me.data.user_id}/password`, { old_password: PW, new_password: "Other-Passw0rd1" }, basic("alice", PW))).status, 412);
    assert.equal((await api("POST", "/users", { username: "local", password: "Local-Passw0rd1" })).status, 412);
    // The mode is locked now that a user other than admin exists.
    const locked = await api("GET", "/configurations");
    assert.equal(locked.data.auth_mode.editable, false);
    assert.equal((await api("PUT", "/configurations", { auth_mode: "db_auth" })).status, 412);
  });

  it("an LDAP group is a project member: its role reaches the user's tokens, and leaving the group takes it away", async () => {
    assert.equal((await api("POST", "/projects", { project_name: "team" })).status, 201);
    const add = await api("POST", "/projects/team/members", { role_id: 2, member_group: { ldap_group_dn: `CN=Developers, ${LDAP_GROUPS_DN.toUpperCase()}` } });
    assert.equal(add.status, 201, JSON.stringify(add.data));
    const members = await api("GET", "/projects/team/members");
    const group = members.data.find((m: { entity_type: string }) => m.entity_type === "g");
    assert.deepEqual({ name: group.entity_name, role: group.role_id }, { name: "developers", role: 2 });
    assert.deepEqual(await granted(core, "bob", PW, "team/app"), ["pull", "push"]);
    assert.deepEqual(await granted(core, "carol", PW, "team/app"), [], "not in the group");
    const projects = await api("GET", "/projects", undefined, basic("bob", PW));
    assert.deepEqual(
      projects.data.map((p: { name: string; current_user_role_id: number }) => [p.name, p.current_user_role_id]),
      [["library", 0], ["team", 2]],
    );
    // A user's own role and their group's add up to the highest.
    const bob = (await core.db.user.findUniqueOrThrow({ where: { username: "bob" } })).id;
    assert.equal((await api("POST", "/projects/team/members", { role_id: 4, member_user: { user_id: bob } })).status, 201);
    assert.deepEqual(await granted(core, "bob", PW, "team/app"), ["pull", "push", "delete"]);
    assert.deepEqual((await api("GET", "/projects/team", undefined, basic("bob", PW))).data.current_user_role_ids, [2, 4]);
    assert.equal((await api("GET", "/projects/team", undefined, basic("bob", PW))).data.current_user_role_id, 4);
    // Out of the group in the directory: the next token has no push.
    assert.deepEqual(await granted(core, "alice", PW, "team/app"), ["pull", "push"]);
    await slapd.removeMember("developers", "alice");
    assert.deepEqual(await granted(core, "alice", PW, "team/app"), []);
    assert.equal((await api("GET", "/projects/team", undefined, basic("alice", PW))).status, 403);
    await slapd.addMember("developers", "alice");
    assert.deepEqual(await granted(core, "alice", PW, "team/app"), ["pull", "push"]);
  });

  it("groups come from the user's memberOf alone, or from a group search alone", async () => {
    // memberOf (written by slapd's overlay) without a group search.
    assert.equal((await api("PUT", "/configurations", { ldap_group_base_dn: "", ldap_group_membership_attribute: "memberOf" })).status, 200);
    assert.deepEqual(await granted(core, "alice", PW, "team/app"), ["pull", "push"]);
    // A group search without memberOf.
    assert.equal((await api("PUT", "/configurations", { ldap_group_base_dn: LDAP_GROUPS_DN, ldap_group_membership_attribute: "" })).status, 200);
    assert.deepEqual(await granted(core, "alice", PW, "team/app"), ["pull", "push"]);
    // Neither: no groups, no role.
    assert.equal((await api("PUT", "/configurations", { ldap_group_base_dn: "", ldap_group_membership_attribute: "" })).status, 200);
    assert.deepEqual(await granted(core, "alice", PW, "team/app"), []);
    assert.equal((await api("PUT", "/configurations", { ldap_group_base_dn: LDAP_GROUPS_DN, ldap_group_membership_attribute: "memberof" })).status, 200);
  });

  it("a member of the admin group is a system administrator for that login", async () => {
    const me = await api("GET", "/users/current", undefined, basic("root", PW));
    assert.equal(me.status, 200);
    assert.equal(me.data.admin_role_in_auth, true);
    assert.equal(me.data.sysadmin_flag, false, "the account's own flag stays off");
    assert.equal((await api("GET", "/audit-logs", undefined, basic("root", PW))).status, 200);
    assert.deepEqual(await granted(core, "root", PW, "team/app"), ["pull", "push", "delete"]);
    assert.equal((await api("GET", "/audit-logs", undefined, basic("alice", PW))).status, 403);
  });

  it("TLS: StartTLS and LDAPS verify the server against the configured CA", async () => {
    assert.equal((await api("GET", "/users/current", undefined, basic("alice", PW))).status, 200, "StartTLS with the CA");
    assert.equal((await api("PUT", "/configurations", { ldap_url: slapd.ldapsUrl, ldap_start_tls: false })).status, 200);
    assert.equal((await api("GET", "/users/current", undefined, basic("alice", PW))).status, 200, "LDAPS with the CA");
    assert.equal((await api("PUT", "/configurations", { ldap_ca_cert: "" })).status, 200);
    const untrusted = await api("GET", "/users/current", undefined, basic("alice", PW));
    assert.equal(untrusted.status, 503, "a certificate nobody vouches for is not accepted");
    assert.match(untrusted.data.errors[0].message, /LDAP server .* is unavailable: .*certificate/i);
    assert.equal((await api("PUT", "/configurations", { ldap_verify_cert: false })).status, 200);
    assert.equal((await api("GET", "/users/current", undefined, basic("alice", PW))).status, 200, "verification off");
    assert.equal((await api("PUT", "/configurations", { ...base() })).status, 200);
  });

  it("/ldap/ping, /ldap/users/search, /ldap/users/import and /ldap/groups/search", async () => {
    assert.deepEqual((await api("POST", "/ldap/ping")).data, { success: true, message: "" });
    const wrong = await api("POST", "/ldap/ping", { ldap_search_password: "nope" });
    assert.equal(wrong.data.success, false);
    assert.match(wrong.data.message, /invalid credentials/);
    const down = await api("POST", "/ldap/ping", { ldap_url: "ldap://127.0.0.1:9" });
    assert.equal(down.data.success, false);
    assert.match(down.data.message, /unavailable/);
    const users = await api("GET", "/ldap/users/search?username=ar");
    assert.deepEqual(users.data, [{ username: "carol", realname: "carol Example", email: "carol@ldap.berth.test" }]);
    assert.equal((await api("GET", "/ldap/users/search?username=*)(uid=*")).data.length, 0, "filter characters are escaped");
    assert.equal((await api("GET", "/ldap/users/search", undefined, basic("alice", PW))).status, 403);
    await slapd.addUser("dave", PW);
    const imported = await api("POST", "/ldap/users/import", { ldap_uid_list: ["dave", "ghost"] });
    assert.equal(imported.status, 404);
    assert.deepEqual(imported.data, [{ uid: "ghost", error: "not found in the directory" }]);
    assert.equal((await core.db.user.findUniqueOrThrow({ where: { username: "dave" } })).email, "dave@ldap.berth.test");
    const groups = await api("GET", "/ldap/groups/search?groupname=dev");
    assert.deepEqual(groups.data, [{ group_name: "developers", group_type: 1, ldap_group_dn: `cn=developers,${LDAP_GROUPS_DN}` }]);
    const byDn = await api("GET", `/ldap/groups/search?groupdn=${encodeURIComponent(`cn=guests,${LDAP_GROUPS_DN}`)}`);
    assert.equal(byDn.data[0].group_name, "guests");
    assert.deepEqual((await api("GET", `/ldap/groups/search?groupdn=${encodeURIComponent(`cn=none,${LDAP_GROUPS_DN}`)}`)).data, []);
  });

  it("/usergroups: list, create (an LDAP group must exist in the directory), rename, delete with its memberships", async () => {
    const list = await api("GET", "/usergroups");
    assert.ok(list.data.some((g: { group_name: string; group_type: number }) => g.group_name === "developers" && g.group_type === 1));
    const ghost = await api("POST", "/usergroups", { group_type: 1, ldap_group_dn: `cn=ghosts,${LDAP_GROUPS_DN}` });
    assert.equal(ghost.status, 400);
    assert.match(ghost.data.errors[0].message, /no group/);
    await slapd.addGroup("auditors", ["carol"]);
    const created = await api("POST", "/usergroups", { group_type: 1, ldap_group_dn: `cn=auditors,${LDAP_GROUPS_DN}` });
    assert.equal(created.status, 201, JSON.stringify(created.data));
    const id = Number(created.headers.get("location")!.split("/").pop());
    assert.equal((await api("POST", "/usergroups", { group_type: 1, ldap_group_dn: `cn=auditors,${LDAP_GROUPS_DN}` })).status, 409);
    assert.equal((await api("GET", `/usergroups/${id}`)).data.group_name, "auditors");
    assert.equal((await api("PUT", `/usergroups/${id}`, { group_name: "visitors" })).status, 200);
    assert.equal((await api("POST", "/projects/team/members", { role_id: 3, member_group: { id } })).status, 201);
    assert.deepEqual(await granted(core, "carol", PW, "team/app"), ["pull"]);
    assert.deepEqual((await api("GET", "/usergroups/search?groupname=visit", undefined, basic("carol", PW))).data, [{ id, group_name: "visitors", group_type: 1 }]);
    assert.equal((await api("GET", "/usergroups", undefined, basic("carol", PW))).status, 403);
    assert.equal((await api("DELETE", `/usergroups/${id}`)).status, 200);
    assert.deepEqual(await granted(core, "carol", PW, "team/app"), []);
    assert.equal(await core.db.projectMember.count({ where: { groupId: id } }), 0);
  });

  it("a directory that is down or hung answers 503 with a clear message; admin still signs in", async () => {
    const hung = Date.now();
    slapd.pause();
    try {
      const res = await call(core.base, "GET", "/service/token?service=berth-registry&scope=repository:team/app:pull", { headers: basic("alice", PW) });
      assert.equal(res.status, 503, JSON.stringify(res.data));
      assert.match(res.data.errors[0].message, /LDAP server ldap:\/\/127\.0\.0\.1:\d+ is unavailable/);
      assert.ok(res.headers.get("retry-after"));
      // Bounded by ldap_timeout (2 s) per step, not by the client's patience.
      assert.ok(Date.now() - hung < 30_000);
      assert.equal((await api("GET", "/users/current")).status, 200, "admin signs in against the database");
      assert.deepEqual(await granted(core, "admin", ADMIN_PASSWORD, "team/app"), ["pull", "push", "delete"]);
    } finally {
      slapd.resume();
    }
    assert.equal((await api("GET", "/users/current", undefined, basic("alice", PW))).status, 200, "back when the directory is");
    // 503s are not failed logins: the limiter (5 failures) did not count them.
    const limited = await core.db.auditLog.count({ where: { operator: "alice", operation: "login_failed" } });
    assert.equal(limited, 2, "only the wrong and the empty password of the first test were failed logins");
  });

  it("the rate limiter sits in front of LDAP: repeated wrong passwords get 429 even with the right one", async () => {
    // The client address has failures of earlier tests too: 429 comes within the limit of 5.
    const statuses: number[] = [];
    for (let i = 0; i < 5 && statuses.at(-1) !== 429; i++) statuses.push((await api("GET", "/users/current", undefined, basic("bob", "Wrong-Passw0rd"))).status);
    assert.equal(statuses.at(-1), 429, statuses.join(","));
    assert.ok(statuses.slice(0, -1).every((s) => s === 401), statuses.join(","));
    const blocked = await api("GET", "/users/current", undefined, basic("bob", PW));
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get("retry-after")) > 0);
  });
});
