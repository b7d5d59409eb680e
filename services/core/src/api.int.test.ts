// Core's REST API end to end (in-process, real PostgreSQL and Redis): users, projects, members,
// robots, audit logs, browser sessions with CSRF, systeminfo.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { foldAuditLogCounts } from "@berth/audit";
import { adminAuth, basic, call, createUser, startTestCore, type TestCore } from "./test-support.js";

let core: TestCore;
const api = (method: string, path: string, options: { headers?: Record<string, string>; body?: unknown } = {}) => call(core.base, method, `/api/v2.0${path}`, options);
const admin = (method: string, path: string, body?: unknown) => api(method, path, { headers: adminAuth(), body });
const PW = "Passw0rdPassw0rd";

before(async () => {
  core = await startTestCore();
});
after(async () => core?.close());

test("users: create (password rule, 409), get, list paging, update, password, sysadmin, delete", async () => {
  let res = await admin("POST", "/users", { username: "alice", password: "weak", email: "alice@example.com", realname: "Alice" });
  assert.equal(res.status, 400);
  res = await admin("POST", "/users", { username: "robot$x", password: PW });
  assert.equal(res.status, 400, "usernames cannot pose as robots");
  res = await admin("POST", "/users", { username: "alice", password: PW, email: "alice@example.com", realname: "Alice" });
  assert.equal(res.status, 201);
  const location = res.headers.get("location")!;
  assert.match(location, /^\/api\/v2\.0\/users\/\d+$/);
  const id = Number(location.split("/").pop());
  assert.equal((await admin("POST", "/users", { username: "alice", password: PW })).status, 409);

  res = await api("GET", `/users/${id}`, { headers: basic("alice", PW) });
  assert.equal(res.status, 200);
  assert.deepEqual(Object.keys(res.data).sort(), ["admin_role_in_auth", "comment", "creation_time", "email", "realname", "sysadmin_flag", "update_time", "user_id", "username"]);
  assert.equal(res.data.username, "alice");
  assert.equal(JSON.stringify(res.data).includes("argon2"), false);
  assert.equal((await api("GET", "/users", { headers: basic("alice", PW) })).status, 403);
  assert.equal((await api("GET", "/users")).status, 401);

  for (let i = 0; i < 3; i++) await admin("POST", "/users", { username: `bulk${i}`, password: PW });
  res = await admin("GET", "/users?page=2&page_size=2");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-total-count"), "5");
  assert.equal(res.data.length, 2);
  assert.match(res.headers.get("link")!, /<\/api\/v2\.0\/users\?page=1&page_size=2>; rel="prev" , <\/api\/v2\.0\/users\?page=3&page_size=2>; rel="next"/);
  res = await admin("GET", "/users?q=username%3D~bulk");
  assert.equal(res.headers.get("x-total-count"), "3");
  assert.equal((await admin("GET", "/users?page_size=101")).status, 400);

  res = await api("GET", "/users/current", { headers: basic("alice", PW) });
  assert.equal(res.data.user_id, id);
  assert.equal((await api("PUT", `/users/${id}`, { headers: basic("alice", PW), body: { realname: "Alice A." } })).status, 200);
  assert.equal((await api("GET", `/users/${id}`, { headers: basic("alice", PW) })).data.realname, "Alice A.");

  const bulk0 = (await admin("GET", "/users?username=bulk0")).data[0].user_id;
  assert.equal((await api("GET", `/users/${bulk0}`, { headers: basic("alice", PW) })).status, 403);
  assert.equal((await api("PUT", `/users/${id}/password`, { headers: basic("alice", PW), body: { new_password: "Newpassw0rd" } })).status, 403, "old password required");
  assert.equal((await api("PUT", `/users/${id}/password`, { headers: basic("alice", PW), body: { old_password: PW, new_password: "weak" } })).status, 400);
  assert.equal((await api("PUT", `/users/${id}/password`, { headers: basic("alice", PW), body: { old_password: PW, new_password: "Newpassw0rd" } })).status, 200);
  assert.equal((await api("GET", "/users/current", { headers: basic("alice", PW) })).status, 401);
  assert.equal((await admin("PUT", `/users/${id}/password`, { new_password: PW })).status, 200, "sysadmins reset without the old password");

  assert.equal((await admin("PUT", `/users/${id}/sysadmin`, { sysadmin_flag: true })).status, 200);
  assert.equal((await api("GET", "/users", { headers: basic("alice", PW) })).status, 200);
  assert.equal((await admin("PUT", `/users/${id}/sysadmin`, { sysadmin_flag: false })).status, 200);
  assert.equal((await admin("DELETE", `/users/${bulk0}`)).status, 200);
  assert.equal((await admin("GET", `/users/${bulk0}`)).status, 404);
  assert.equal((await admin("GET", "/users/abc")).status, 400);
});

test("projects: create with Location, names, HEAD, X-Is-Resource-Name, visibility, update, delete", async () => {
  await createUser(core.db, "owner", PW);
  await createUser(core.db, "other", PW);
  const owner = basic("owner", PW);
  for (const bad of ["Upper", "a..b", "-a", "", "a".repeat(256)]) {
    assert.equal((await api("POST", "/projects", { headers: owner, body: { project_name: bad } })).status, 400, bad);
  }
  assert.equal((await api("POST", "/projects", { body: { project_name: "anon" } })).status, 401);
  let res = await api("POST", "/projects", { headers: owner, body: { project_name: "secret", metadata: { public: "false" } } });
  assert.equal(res.status, 201);
  const id = Number(res.headers.get("location")!.match(/^\/api\/v2\.0\/projects\/(\d+)$/)![1]);
  assert.equal((await api("POST", "/projects", { headers: owner, body: { project_name: "secret" } })).status, 409);
  assert.equal((await api("POST", "/projects", { headers: owner, body: { project_name: "big", storage_limit: 1000 } })).status, 403);
  assert.equal((await admin("POST", "/projects", { project_name: "big", storage_limit: 1000 })).status, 201);
  const big = await core.db.project.findUnique({ where: { name: "big" } });
  assert.equal(big?.storageLimit, 1000n);

  assert.equal((await api("HEAD", "/projects?project_name=secret", { headers: owner })).status, 200);
  assert.equal((await api("HEAD", "/projects?project_name=nope", { headers: owner })).status, 404);

  res = await api("GET", `/projects/${id}`, { headers: owner });
  assert.equal(res.status, 200);
  assert.equal(res.data.name, "secret");
  assert.equal(res.data.owner_name, "owner");
  assert.equal(res.data.metadata.public, "false");
  assert.equal(res.data.current_user_role_id, 1);
  assert.equal((await api("GET", "/projects/secret", { headers: owner })).status, 200);
  assert.equal((await api("GET", `/projects/${id}`, { headers: { ...owner, "X-Is-Resource-Name": "true" } })).status, 404, "an id read as a name");
  assert.equal((await api("GET", `/projects/${id}`, { headers: basic("other", PW) })).status, 403);
  assert.equal((await api("GET", `/projects/${id}`)).status, 401);
  assert.equal((await api("GET", "/projects/library")).status, 200, "anyone reads a public project");

  res = await api("GET", "/projects");
  assert.deepEqual(res.data.map((p: { name: string }) => p.name), ["library"]);
  res = await api("GET", "/projects", { headers: owner });
  assert.deepEqual(res.data.map((p: { name: string }) => p.name), ["library", "secret"]);
  res = await admin("GET", "/projects?page_size=1&page=2");
  assert.equal(res.headers.get("x-total-count"), "3");
  assert.equal(res.data[0].name, "secret");
  assert.ok(res.headers.get("link")!.includes('rel="next"'));
  assert.equal((await admin("GET", "/projects?name=sec")).data.length, 1);
  assert.equal((await admin("GET", "/projects?public=true")).data.length, 1);
  assert.equal((await admin("GET", "/projects?owner=owner")).data.length, 1);

  assert.equal((await api("PUT", `/projects/${id}`, { headers: basic("other", PW), body: { metadata: { public: "true" } } })).status, 403);
  assert.equal((await api("PUT", `/projects/${id}`, { headers: owner, body: { metadata: { public: "true", auto_scan: "true" } } })).status, 200);
  res = await api("GET", `/projects/${id}`);
  assert.deepEqual(res.data.metadata, { auto_scan: "true", public: "true" });
  assert.equal((await api("PUT", `/projects/${id}`, { headers: owner, body: { metadata: { public: "yes" } } })).status, 400);

  assert.equal((await api("DELETE", `/projects/${id}`, { headers: basic("other", PW) })).status, 403);
  assert.equal((await api("DELETE", `/projects/${id}`, { headers: owner })).status, 200);
  assert.equal((await api("GET", `/projects/${id}`, { headers: owner })).status, 404);
});

test("projects holding repositories cannot be deleted (412)", async () => {
  const withRepos = await startTestCore({ redis: "none", repositoryCount: async () => 2 });
  try {
    await call(withRepos.base, "POST", "/api/v2.0/projects", { headers: adminAuth(), body: { project_name: "full" } });
    const res = await call(withRepos.base, "DELETE", "/api/v2.0/projects/full", { headers: adminAuth() });
    assert.equal(res.status, 412);
    assert.equal(res.data.errors[0].code, "PRECONDITION");
  } finally {
    await withRepos.close();
  }
});

test("members: add by name or id, list, role update, delete; Harbor's shapes", async () => {
  await createUser(core.db, "m1", PW);
  const m2 = await createUser(core.db, "m2", PW);
  assert.equal((await admin("POST", "/projects", { project_name: "crew" })).status, 201);
  let res = await admin("POST", "/projects/crew/members", { role_id: 2, member_user: { username: "m1" } });
  assert.equal(res.status, 201);
  const mid = Number(res.headers.get("location")!.split("/").pop());
  assert.equal((await admin("POST", "/projects/crew/members", { role_id: 3, member_user: { user_id: m2 } })).status, 201);
  assert.equal((await admin("POST", "/projects/crew/members", { role_id: 3, member_user: { user_id: m2 } })).status, 409);
  assert.equal((await admin("POST", "/projects/crew/members", { role_id: 9, member_user: { username: "m1" } })).status, 400);
  assert.equal((await admin("POST", "/projects/crew/members", { role_id: 3, member_user: { username: "ghost" } })).status, 404);

  res = await api("GET", "/projects/crew/members", { headers: basic("m1", PW) });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-total-count"), "3");
  const m1 = res.data.find((m: { entity_name: string }) => m.entity_name === "m1");
  assert.deepEqual({ ...m1, project_id: undefined, entity_id: undefined }, { id: mid, project_id: undefined, entity_id: undefined, entity_name: "m1", entity_type: "u", role_id: 2, role_name: "developer" });
  assert.equal((await api("GET", "/projects/crew/members?entityname=m2", { headers: basic("m1", PW) })).data.length, 1);
  assert.equal((await api("PUT", `/projects/crew/members/${mid}`, { headers: basic("m1", PW), body: { role_id: 1 } })).status, 403);
  assert.equal((await admin("PUT", `/projects/crew/members/${mid}`, { role_id: 4 })).status, 200);
  assert.equal((await admin("GET", `/projects/crew/members/${mid}`)).data.role_name, "maintainer");
  assert.equal((await admin("DELETE", `/projects/crew/members/${mid}`)).status, 200);
  assert.equal((await admin("GET", `/projects/crew/members/${mid}`)).status, 404);
});

test("robots: create → secret once → Basic auth → disable → refused → enable → refresh", async () => {
  assert.equal((await admin("POST", "/projects", { project_name: "ci" })).status, 201);
  const permissions = [{ kind: "project", namespace: "ci", access: [{ resource: "repository", action: "pull" }, { resource: "repository", action: "push" }] }];
  let res = await admin("POST", "/robots", { name: "builder", level: "project", duration: 7, permissions });
  assert.equal(res.status, 201, JSON.stringify(res.data));
  const { id, name, secret, expires_at } = res.data;
  assert.equal(name, "robot$ci+builder");
  assert.match(secret, /^[A-Za-z0-9]{32}$/);
  assert.ok(Math.abs(expires_at - (Date.now() / 1000 + 7 * 86400)) < 60);
  assert.equal((await admin("POST", "/robots", { name: "builder", level: "project", permissions })).status, 409);
  assert.equal((await admin("POST", "/robots", { name: "x", level: "project", permissions: [{ kind: "project", namespace: "ci", access: [{ resource: "repository", action: "fly" }] }] })).status, 400);

  res = await admin("GET", `/robots/${id}`);
  assert.equal(res.data.secret, undefined, "the secret is shown only once");
  assert.equal(res.data.level, "project");
  assert.deepEqual(res.data.permissions, permissions);
  const row = await core.db.robot.findUniqueOrThrow({ where: { id } });
  assert.match(row.secretHash, /^\$argon2id\$/);

  const robot = basic(name, secret);
  const tokenAccess = async () => {
    const t = await call(core.base, "GET", "/service/token?service=berth-registry&scope=repository:ci/app:pull,push,delete", { headers: robot });
    return t.status === 200 ? JSON.parse(Buffer.from(t.data.token.split(".")[1], "base64url").toString()).access[0].actions : t.status;
  };
  assert.deepEqual(await tokenAccess(), ["pull", "push"]);
  assert.equal((await api("GET", "/projects/ci", { headers: robot })).status, 403, "robots have only their permissions");
  assert.equal((await api("GET", "/users/current", { headers: robot })).status, 412);
  assert.equal((await call(core.base, "POST", "/c/login", { headers: { "content-type": "application/x-www-form-urlencoded" }, body: undefined })).status, 400);

  assert.equal((await admin("PUT", `/robots/${id}`, { disable: true })).status, 200);
  assert.equal(await tokenAccess(), 401);
  assert.equal((await admin("PUT", `/robots/${id}`, { disable: false })).status, 200);
  assert.deepEqual(await tokenAccess(), ["pull", "push"]);

  res = await admin("PATCH", `/robots/${id}`, {});
  assert.equal(res.status, 200);
  assert.notEqual(res.data.secret, secret);
  assert.equal(await tokenAccess(), 401, "the old secret stops working");
  const fresh = basic(name, res.data.secret);
  assert.equal((await call(core.base, "GET", "/service/token?service=berth-registry", { headers: fresh })).status, 200);

  await core.db.robot.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
  assert.equal((await call(core.base, "GET", "/service/token?service=berth-registry", { headers: fresh })).status, 401, "expired robots are refused");

  res = await admin("GET", `/robots?q=Level%3Dproject%2CProjectID%3D${row.projectId}`);
  assert.equal(res.headers.get("x-total-count"), "1");
  assert.equal((await admin("POST", "/robots", { name: "everything", level: "system", duration: -1, permissions: [{ kind: "project", namespace: "*", access: [{ resource: "repository", action: "pull" }] }] })).data.expires_at, -1);
  await createUser(core.db, "nobody", PW);
  assert.equal((await api("POST", "/robots", { headers: basic("nobody", PW), body: { name: "mine", level: "project", permissions } })).status, 403);
  assert.equal((await admin("DELETE", `/robots/${id}`)).status, 200);
  assert.equal((await admin("GET", `/robots/${id}`)).status, 404);
});

test("audit log: every write has a row; sysadmin queries; project logs need log list", async () => {
  let res = await admin("GET", "/audit-logs?q=operation%3Dcreate%2Cresource%3D~project%3Acrew");
  assert.equal(res.status, 200);
  assert.equal(res.data.length, 1);
  assert.deepEqual(Object.keys(res.data[0]).sort(), ["detail", "id", "op_time", "operation", "operator_type", "project_id", "resource", "resource_type", "result", "source", "username"].filter((k) => k !== "detail" || res.data[0].detail !== undefined).sort());
  assert.equal(res.data[0].username, "admin");
  res = await admin("GET", "/audit-logs?q=username%3Dadmin%2Cresource_type%3Drobot");
  assert.ok(res.data.some((r: { operation: string }) => r.operation === "delete"));
  const from = new Date(Date.now() - 3600_000).toISOString();
  const to = new Date(Date.now() + 3600_000).toISOString();
  res = await admin("GET", `/audit-logs?q=op_time%3D%5B${from}~${to}%5D&page_size=1`);
  assert.ok(Number(res.headers.get("x-total-count")) > 10);
  assert.equal((await admin("GET", "/audit-logs?q=op_time%3D2024")).status, 400);
  // Dates PostgreSQL cannot hold, days that do not exist and backwards ranges are a 400, on both lists.
  for (const range of ["[0000-01-01~2020-01-01]", "[0000-01-01 00:00:00~2020-01-01 00:00:00]", "[2020-01-01~+275760-09-13]", "[2021-02-29~2022-01-01]", "[2022-01-01~2021-01-01]", "[10000-01-01~]"]) {
    for (const path of ["/audit-logs", "/projects/crew/logs"]) {
      const bad = await admin("GET", `${path}?q=${encodeURIComponent(`op_time=${range}`)}`);
      assert.equal(bad.status, 400, `${path} ${range}: ${JSON.stringify(bad.data)}`);
      assert.match(bad.data.errors[0].message, /op_time/);
    }
  }
  assert.equal((await admin("GET", `/audit-logs?q=${encodeURIComponent("op_time=[0001-01-01~2999-12-31 23:59:59]")}`)).status, 200);
  assert.equal((await admin("GET", "/audit-logs?q=bogus%3D1")).status, 400);
  assert.equal((await api("GET", "/audit-logs", { headers: basic("m1", PW) })).status, 403);

  res = await admin("GET", "/projects/crew/logs");
  assert.ok(res.data.every((r: { project_id: number }) => r.project_id === res.data[0].project_id));
  assert.ok(res.data.some((r: { resource_type: string }) => r.resource_type === "member"));
  assert.equal((await api("GET", "/projects/crew/logs", { headers: basic("m2", PW) })).status, 403, "guests cannot list logs");
  // The totals come from the count rows (@berth/audit), not a count of the rows: equal to it, for
  // the system and a project's list, before and after a purge, across folds.
  const totals = async () => {
    const crew = (await core.db.project.findUniqueOrThrow({ where: { name: "crew" } })).id;
    const [all, project] = [await core.db.auditLog.count(), await core.db.auditLog.count({ where: { projectId: crew } })];
    assert.equal(Number((await admin("GET", "/audit-logs?page_size=1")).headers.get("x-total-count")), all);
    assert.equal(Number((await admin("GET", "/projects/crew/logs?page_size=1")).headers.get("x-total-count")), project);
    return all;
  };
  assert.ok((await totals()) > 10);
  await core.db.auditLog.updateMany({ where: { operation: "create" }, data: { opTime: new Date(Date.now() - 3 * 86_400_000) } });
  assert.equal(await core.services.audit.purgeOlderThan(1) > 0, true);
  await totals();
  await foldAuditLogCounts(core.db);
  assert.ok((await core.db.auditLogCount.count()) <= (await core.db.auditLogCount.groupBy({ by: ["projectId"] })).length, "one count row per project after a fold");
  await totals();
  assert.equal(await core.services.audit.purgeOlderThan(1, new Date(Date.now() + 2 * 86_400_000)) > 0, true);
  assert.equal(await totals(), 0);
});

test("sessions: login sets an HttpOnly cookie; CSRF token required for cookie writes", async () => {
  await createUser(core.db, "browser", PW);
  const form = { "content-type": "application/x-www-form-urlencoded" };
  let res = await fetch(`${core.base}/c/login`, { method: "POST", headers: form, body: `principal=browser&password=wrong` });
  assert.equal(res.status, 401);
  res = await fetch(`${core.base}/c/login`, { method: "POST", headers: form, body: `principal=browser&password=${PW}` });
  assert.equal(res.status, 200);
  const setCookie = res.headers.get("set-cookie")!;
  const [pair, ...attributes] = setCookie.split("; ");
  assert.match(pair!, /^sid=[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(new Set(attributes), new Set(["Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=3600"]));
  const cookie = { cookie: setCookie.split(";")[0]! };
  const row = await core.db.session.findFirstOrThrow({ where: {} });
  assert.ok(!setCookie.includes(row.id), "the database keeps only the token's hash");

  res = await fetch(`${core.base}/api/v2.0/users/current`, { headers: cookie });
  assert.equal(res.status, 200);
  const csrf = res.headers.get("x-harbor-csrf-token")!;
  assert.ok(csrf);
  const create = (headers: Record<string, string>) => call(core.base, "POST", "/api/v2.0/projects", { headers: { ...cookie, ...headers }, body: { project_name: "fromui" } });
  assert.equal((await create({})).status, 403);
  assert.equal((await create({ "X-Harbor-CSRF-Token": "forged" })).status, 403);
  assert.equal((await create({ "X-Harbor-CSRF-Token": csrf })).status, 201);

  assert.equal((await fetch(`${core.base}/c/log_out`, { headers: cookie })).status, 200);
  assert.equal((await fetch(`${core.base}/api/v2.0/users/current`, { headers: cookie })).status, 401);
  const robotLogin = await fetch(`${core.base}/c/login`, { method: "POST", headers: form, body: "principal=robot%24ci%2Bbuilder&password=x" });
  assert.equal(robotLogin.status, 401);
});

test("an unreadable session cookie is no session, not a 500, on every kind of request", async () => {
  for (const cookie of ["sid=%zz", "sid=%", "sid=%E0%A4%A", "sid", "=;;==;", `sid=${"x".repeat(3000)}`, "sid=\"a", "a=%zz; sid=%zz"]) {
    const anonymous = await call(core.base, "GET", "/api/v2.0/projects", { headers: { cookie } });
    assert.equal(anonymous.status, 200, `${cookie}: ${JSON.stringify(anonymous.data)}`);
    assert.equal((await call(core.base, "GET", "/api/v2.0/users/current", { headers: { cookie } })).status, 401, cookie);
    // With Basic credentials too, the cookie does not get in the way.
    assert.equal((await call(core.base, "GET", "/api/v2.0/users/current", { headers: { cookie, ...adminAuth() } })).status, 200, cookie);
    const token = await call(core.base, "GET", "/service/token?service=berth-registry&scope=repository:library/x:pull", { headers: { cookie } });
    assert.equal(token.status, 200, cookie);
  }
});

test("Basic credentials containing NUL are refused with 401 on /api/ and /service/token, without touching the database", async () => {
  const nul = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` });
  const audits = await core.db.auditLog.count();
  for (const headers of [nul("ad\u0000min", "x"), nul("admin", "pa\u0000ss"), nul("\u0000", "\u0000")]) {
    for (const path of ["/api/v2.0/users/current", "/api/v2.0/projects", "/service/token?service=berth-registry&scope=repository:library/x:pull"]) {
      const res = await call(core.base, "GET", path, { headers });
      assert.equal(res.status, 401, `${path}: ${JSON.stringify(res.data)}`);
      assert.match(res.data.errors[0].message, /NUL/);
      assert.equal(res.headers.get("www-authenticate"), 'Basic realm="berth"');
    }
  }
  assert.equal(await core.db.auditLog.count(), audits, "no failed-login rows: the credentials never reached an account lookup");
});

test("a 401 to a script (X-Requested-With: XMLHttpRequest) has no Basic challenge, so a browser shows no password dialog", async () => {
  const plain = await call(core.base, "GET", "/api/v2.0/users/current");
  assert.equal(plain.status, 401);
  assert.equal(plain.headers.get("www-authenticate"), 'Basic realm="berth"');
  const script = await call(core.base, "GET", "/api/v2.0/users/current", { headers: { "x-requested-with": "XMLHttpRequest" } });
  assert.equal(script.status, 401);
  assert.equal(script.headers.get("www-authenticate"), null);
  assert.equal(script.data.errors[0].code, "UNAUTHORIZED");
});

test("systeminfo is public and Harbor-shaped", async () => {
  const res = await api("GET", "/systeminfo");
  assert.equal(res.status, 200);
  assert.equal(res.data.auth_mode, "db_auth");
  assert.equal(res.data.self_registration, false);
  assert.equal(res.data.external_url, "http://127.0.0.1:8080");
  assert.equal(res.data.registry_url, "127.0.0.1:8080");
  assert.equal((await api("GET", "/ping")).status, 200);
});
