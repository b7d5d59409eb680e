// Walks the role matrix through the HTTP API: every role × every project action core serves
// today must be allowed (2xx) or refused (403) exactly as auth/permissions.ts (Harbor's matrix) says.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { roleAllows, ROLES, type RoleName } from "./auth/permissions.js";
import { adminAuth, basic, call, createUser, startTestCore, type TestCore } from "./test-support.js";

let core: TestCore;
let projectId: number;
const PW = "Passw0rdPassw0rd";
const api = (method: string, path: string, headers: Record<string, string>, body?: unknown) => call(core.base, method, `/api/v2.0${path}`, { headers, body });
const asAdmin = (method: string, path: string, body?: unknown) => api(method, path, adminAuth(), body);
let counter = 0;

before(async () => {
  core = await startTestCore({ redis: "none" });
  assert.equal((await asAdmin("POST", "/projects", { project_name: "walk" })).status, 201);
  projectId = (await core.db.project.findUniqueOrThrow({ where: { name: "walk" } })).id;
  for (const [role, id] of Object.entries(ROLES)) {
    const userId = await createUser(core.db, role.toLowerCase(), PW);
    assert.equal((await asAdmin("POST", "/projects/walk/members", { role_id: id, member_user: { user_id: userId } })).status, 201);
    assert.equal((await asAdmin("POST", "/projects", { project_name: `del-${role.toLowerCase()}` })).status, 201);
    assert.equal((await asAdmin("POST", `/projects/del-${role.toLowerCase()}/members`, { role_id: id, member_user: { user_id: userId } })).status, 201);
  }
});
after(async () => core?.close());

async function tempUser(): Promise<number> {
  return createUser(core.db, `temp${++counter}`, PW);
}
async function tempMember(): Promise<number> {
  const res = await asAdmin("POST", "/projects/walk/members", { role_id: 3, member_user: { user_id: await tempUser() } });
  return Number(res.headers.get("location")!.split("/").pop());
}
const robotPermissions = [{ kind: "project", namespace: "walk", access: [{ resource: "repository", action: "pull" }] }];
async function tempRobot(): Promise<number> {
  const res = await asAdmin("POST", "/robots", { name: `r${++counter}`, level: "project", permissions: robotPermissions });
  return res.data.id;
}

type Operation = { resource: string; action: string; run: (role: RoleName, auth: Record<string, string>) => Promise<number> };
const operations: Operation[] = [
  { resource: "project", action: "read", run: async (_r, a) => (await api("GET", "/projects/walk", a)).status },
  { resource: "project", action: "update", run: async (_r, a) => (await api("PUT", "/projects/walk", a, { metadata: { auto_scan: "true" } })).status },
  { resource: "project", action: "delete", run: async (r, a) => (await api("DELETE", `/projects/del-${r.toLowerCase()}`, a)).status },
  { resource: "member", action: "list", run: async (_r, a) => (await api("GET", "/projects/walk/members", a)).status },
  { resource: "member", action: "read", run: async (_r, a) => (await api("GET", `/projects/walk/members/${await tempMember()}`, a)).status },
  { resource: "member", action: "create", run: async (_r, a) => (await api("POST", "/projects/walk/members", a, { role_id: 3, member_user: { user_id: await tempUser() } })).status },
  { resource: "member", action: "update", run: async (_r, a) => (await api("PUT", `/projects/walk/members/${await tempMember()}`, a, { role_id: 2 })).status },
  { resource: "member", action: "delete", run: async (_r, a) => (await api("DELETE", `/projects/walk/members/${await tempMember()}`, a)).status },
  { resource: "log", action: "list", run: async (_r, a) => (await api("GET", "/projects/walk/logs", a)).status },
  { resource: "robot", action: "create", run: async (_r, a) => (await api("POST", "/robots", a, { name: `c${++counter}`, level: "project", permissions: robotPermissions })).status },
  { resource: "robot", action: "list", run: async (_r, a) => (await api("GET", `/robots?q=Level%3Dproject%2CProjectID%3D${projectId}`, a)).status },
  { resource: "robot", action: "read", run: async (_r, a) => (await api("GET", `/robots/${await tempRobot()}`, a)).status },
  { resource: "robot", action: "update", run: async (_r, a) => (await api("PUT", `/robots/${await tempRobot()}`, a, { description: "x" })).status },
  { resource: "robot", action: "delete", run: async (_r, a) => (await api("DELETE", `/robots/${await tempRobot()}`, a)).status },
];

test("every role × project action through the API is allowed or refused as the matrix says", async () => {
  for (const role of Object.keys(ROLES) as RoleName[]) {
    const auth = basic(role.toLowerCase(), PW);
    for (const op of operations) {
      const status = await op.run(role, auth);
      const allowed = roleAllows(role, op.resource, op.action);
      if (allowed) assert.ok(status >= 200 && status < 300, `${role} ${op.action} ${op.resource}: expected 2xx, got ${status}`);
      else assert.equal(status, 403, `${role} ${op.action} ${op.resource}: expected 403`);
    }
  }
});

test("registry actions in tokens follow the matrix for every role", async () => {
  for (const role of Object.keys(ROLES) as RoleName[]) {
    const res = await call(core.base, "GET", "/service/token?service=berth-registry&scope=repository:walk/app:pull,push,delete", { headers: basic(role.toLowerCase(), PW) });
    const actions = JSON.parse(Buffer.from(res.data.token.split(".")[1], "base64url").toString()).access[0].actions;
    assert.deepEqual(actions, ["pull", "push", "delete"].filter((a) => roleAllows(role, "repository", a)), role);
  }
});
