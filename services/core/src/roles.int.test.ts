// Walks the role matrix through the HTTP API: every role × every project action core serves
// today (immutability rules, labels, artifact labels and tag retention included) must be allowed (2xx) or refused (403) exactly as auth/permissions.ts (Harbor's matrix)
// says — for roles held directly, and for roles held through an LDAP group (a real slapd; the
// user also holds limitedGuest directly, so the group's higher role must win). And the system
// endpoints a system robot may reach: exactly those its `kind: "system"` permissions name.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { LDAP_ADMIN_DN, LDAP_ADMIN_PASSWORD, LDAP_GROUPS_DN, LDAP_PEOPLE_DN, startSlapd, type TestSlapd } from "@berth/test-idp";
import { roleAllows, ROLES, type RoleName } from "./auth/permissions.js";
import { SYSTEM_ACCESS } from "./auth/system-permissions.js";
import { adminAuth, basic, call, createUser, startTestCore, type TestCore } from "./test-support.js";
import { layer, pushImage } from "./test-images.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"]);
const PW = "Passw0rdPassw0rd";
const ROLE_NAMES = Object.keys(ROLES) as RoleName[];

/** How the walk's principals hold their roles: the credentials to act as `role`'s holder. */
interface Holders {
  label: string;
  setup(core: TestCore, grant: (project: string, role: RoleName, member: Record<string, unknown>) => Promise<void>): Promise<(role: RoleName) => Record<string, string>>;
}

const direct: Holders = {
  label: "held directly",
  async setup(core, grant) {
    for (const role of ROLE_NAMES) {
      const userId = await createUser(core.db, role.toLowerCase(), PW);
      for (const project of ["walk", `del-${role.toLowerCase()}`, `ret-${role.toLowerCase()}`]) await grant(project, role, { member_user: { user_id: userId } });
    }
    return (role) => basic(role.toLowerCase(), PW);
  },
};

function throughLdapGroups(slapd: () => TestSlapd): Holders {
  return {
    label: "held through an LDAP group (and limitedGuest directly)",
    async setup(core, grant) {
      const s = slapd();
      const put = await call(core.base, "PUT", "/api/v2.0/configurations", {
        headers: adminAuth(),
        body: {
          auth_mode: "ldap_auth",
          ldap_url: s.url,
          ldap_search_dn: LDAP_ADMIN_DN,
          ldap_search_password: LDAP_ADMIN_PASSWORD,
          ldap_base_dn: LDAP_PEOPLE_DN,
          ldap_uid: "uid",
          ldap_group_base_dn: LDAP_GROUPS_DN,
        },
      });
      assert.equal(put.status, 200, JSON.stringify(put.data));
      for (const role of ROLE_NAMES) {
        const uid = `u-${role.toLowerCase()}`;
        await s.addUser(uid, PW);
        await s.addGroup(`g-${role.toLowerCase()}`, [uid]);
        for (const project of ["walk", `del-${role.toLowerCase()}`, `ret-${role.toLowerCase()}`]) await grant(project, role, { member_group: { ldap_group_dn: s.groupDn(`g-${role.toLowerCase()}`) } });
        // On-board the user (first login), then give them the least role directly as well.
        assert.equal((await call(core.base, "GET", "/api/v2.0/users/current", { headers: basic(uid, PW) })).status, 200);
        const userId = (await core.db.user.findUniqueOrThrow({ where: { username: uid } })).id;
        if (role !== "limitedGuest") await grant("walk", "limitedGuest", { member_user: { user_id: userId } });
      }
      return (role) => basic(`u-${role.toLowerCase()}`, PW);
    },
  };
}

function walkMatrix(holders: Holders, before_: () => Promise<void> = async () => undefined) {
  describe(`the role matrix, roles ${holders.label}`, { skip: !enabled && "needs BERTH_TEST_PG_URL" }, () => {
    let core: TestCore;
    let projectId: number;
    let authOf: (role: RoleName) => Record<string, string>;
    let counter = 0;
    const api = (method: string, path: string, headers: Record<string, string>, body?: unknown) => call(core.base, method, `/api/v2.0${path}`, { headers, body });
    const asAdmin = (method: string, path: string, body?: unknown) => api(method, path, adminAuth(), body);

    before(async () => {
      await before_();
      core = await startTestCore({ redis: "none" });
      assert.equal((await asAdmin("POST", "/projects", { project_name: "walk" })).status, 201);
      projectId = (await core.db.project.findUniqueOrThrow({ where: { name: "walk" } })).id;
      for (const role of ROLE_NAMES) assert.equal((await asAdmin("POST", "/projects", { project_name: `del-${role.toLowerCase()}` })).status, 201);
      for (const role of ROLE_NAMES) assert.equal((await asAdmin("POST", "/projects", { project_name: `ret-${role.toLowerCase()}` })).status, 201);
      authOf = await holders.setup(core, async (project, role, member) => {
        const res = await asAdmin("POST", `/projects/${project}/members`, { role_id: ROLES[role], ...member });
        assert.equal(res.status, 201, JSON.stringify(res.data));
      });
    });
    after(async () => core?.close());
    before(async () => {
      await pushImage(core.registry, "walk/app", "v1", [layer("w")]);
    });

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
      // Tag immutability (rules of walk; cleared first so the 15-rule limit never answers instead).
      { resource: "immutable-tag", action: "list", run: async (_r, a) => (await api("GET", "/projects/walk/immutabletagrules", a)).status },
      { resource: "immutable-tag", action: "create", run: async (_r, a) => (await api("POST", "/projects/walk/immutabletagrules", a, await freshRule())).status },
      { resource: "immutable-tag", action: "update", run: async (_r, a) => (await api("PUT", `/projects/walk/immutabletagrules/${await tempRule()}`, a, { disabled: true })).status },
      { resource: "immutable-tag", action: "delete", run: async (_r, a) => (await api("DELETE", `/projects/walk/immutabletagrules/${await tempRule()}`, a)).status },
      // Project labels and labels on artifacts.
      { resource: "label", action: "list", run: async (_r, a) => (await api("GET", `/labels?scope=p&project_id=${projectId}`, a)).status },
      { resource: "label", action: "read", run: async (_r, a) => (await api("GET", `/labels/${await tempLabel()}`, a)).status },
      { resource: "label", action: "create", run: async (_r, a) => (await api("POST", "/labels", a, { name: `l${++counter}`, scope: "p", project_id: projectId })).status },
      { resource: "label", action: "update", run: async (_r, a) => (await api("PUT", `/labels/${await tempLabel()}`, a, { name: `u${++counter}` })).status },
      { resource: "label", action: "delete", run: async (_r, a) => (await api("DELETE", `/labels/${await tempLabel()}`, a)).status },
      { resource: "artifact-label", action: "create", run: async (_r, a) => (await api("POST", "/projects/walk/repositories/app/artifacts/v1/labels", a, { id: await tempLabel() })).status },
      {
        resource: "artifact-label",
        action: "delete",
        run: async (_r, a) => {
          const label = await tempLabel();
          assert.equal((await asAdmin("POST", "/projects/walk/repositories/app/artifacts/v1/labels", { id: label })).status, 200);
          return (await api("DELETE", `/projects/walk/repositories/app/artifacts/v1/labels/${label}`, a)).status;
        },
      },
      // Tag retention: each role works on the policy of its own project (one policy per project).
      { resource: "tag-retention", action: "create", run: async (r, a) => (await api("POST", "/retentions", a, await freshRetention(r))).status },
      { resource: "tag-retention", action: "read", run: async (r, a) => (await api("GET", `/retentions/${await tempRetention(r)}`, a)).status },
      { resource: "tag-retention", action: "update", run: async (r, a) => (await api("PUT", `/retentions/${await tempRetention(r)}`, a, retentionBody(r, (await ownProject(r)).id))).status },
      { resource: "tag-retention", action: "delete", run: async (r, a) => (await api("DELETE", `/retentions/${await tempRetention(r)}`, a)).status },
      { resource: "tag-retention", action: "list", run: async (r, a) => (await api("GET", `/retentions/${await tempRetention(r)}/executions`, a)).status },
      {
        resource: "tag-retention",
        action: "operate",
        run: async (r, a) => {
          const id = await tempRetention(r);
          await core.db.execution.deleteMany({ where: { vendorType: "RETENTION", vendorId: BigInt(id) } });
          return (await api("POST", `/retentions/${id}/executions`, a, { dry_run: true })).status;
        },
      },
    ];

    const ruleBody = { tag_selectors: [{ kind: "doublestar", decoration: "matches", pattern: "v*" }], scope_selectors: { repository: [{ kind: "doublestar", decoration: "repoMatches", pattern: "**" }] } };
    async function freshRule() {
      await core.db.immutableTagRule.deleteMany({ where: { projectId } });
      return ruleBody;
    }
    async function tempRule(): Promise<number> {
      const res = await asAdmin("POST", "/projects/walk/immutabletagrules", await freshRule());
      assert.equal(res.status, 201, JSON.stringify(res.data));
      return Number(res.headers.get("location")!.split("/").pop());
    }
    async function tempLabel(): Promise<number> {
      return (await core.db.label.create({ data: { name: `t${++counter}`, scope: "p", projectId } })).id;
    }
    const ownProject = async (role: RoleName) => core.db.project.findUniqueOrThrow({ where: { name: `ret-${role.toLowerCase()}` } });
    const retentionBody = (_role: RoleName, projectRef?: number) => ({
      algorithm: "or",
      rules: [{ template: "latestPushedK", params: { latestPushedK: 3 }, ...ruleBody }],
      trigger: { kind: "Schedule", settings: { cron: "" } },
      scope: { level: "project", ref: projectRef ?? 0 },
    });
    async function freshRetention(role: RoleName) {
      const p = await ownProject(role);
      await core.db.retentionPolicy.deleteMany({ where: { projectId: p.id } });
      return retentionBody(role, p.id);
    }
    async function tempRetention(role: RoleName): Promise<number> {
      const p = await ownProject(role);
      const existing = await core.db.retentionPolicy.findUnique({ where: { projectId: p.id } });
      if (existing) return existing.id;
      const res = await asAdmin("POST", "/retentions", retentionBody(role, p.id));
      assert.equal(res.status, 201, JSON.stringify(res.data));
      return Number(res.headers.get("location")!.split("/").pop());
    }

    test("every role × project action through the API is allowed or refused as the matrix says", async () => {
      for (const role of ROLE_NAMES) {
        for (const op of operations) {
          const status = await op.run(role, authOf(role));
          const allowed = roleAllows(role, op.resource, op.action);
          if (allowed) assert.ok(status >= 200 && status < 300, `${role} ${op.action} ${op.resource}: expected 2xx, got ${status}`);
          else assert.equal(status, 403, `${role} ${op.action} ${op.resource}: expected 403`);
        }
      }
    });

    test("registry actions in tokens follow the matrix for every role", async () => {
      for (const role of ROLE_NAMES) {
        const res = await call(core.base, "GET", "/service/token?service=berth-registry&scope=repository:walk/app:pull,push,delete", { headers: authOf(role) });
        const actions = JSON.parse(Buffer.from(res.data.token.split(".")[1], "base64url").toString()).access[0].actions;
        assert.deepEqual(actions, ["pull", "push", "delete"].filter((a) => roleAllows(role, "repository", a)), role);
      }
    });
  });
}

walkMatrix(direct);
let slapd: TestSlapd | undefined;
walkMatrix(
  throughLdapGroups(() => slapd!),
  async () => {
    slapd = await startSlapd();
  },
);
after(async () => slapd?.stop());

describe("system endpoints: a system robot reaches exactly what its kind-system permissions name", { skip: !enabled && "needs BERTH_TEST_PG_URL" }, () => {
  let core: TestCore;
  let n = 0;
  const api = (method: string, path: string, headers: Record<string, string>, body?: unknown) => call(core.base, method, `/api/v2.0${path}`, { headers, body });
  const tempGroup = async () => Number((await api("POST", "/usergroups", adminAuth(), { group_name: `tg${++n}`, group_type: 3 })).headers.get("location")!.split("/").pop());
  const tokenStatus = async (auth: Record<string, string>) => {
    const res = await call(core.base, "GET", "/service/token?service=berth-registry&scope=registry:catalog:*", { headers: auth });
    if (res.status !== 200) return res.status;
    return JSON.parse(Buffer.from(res.data.token.split(".")[1], "base64url").toString()).access[0].actions.includes("*") ? 200 : 403;
  };
  const gc = { schedule: { type: "None" }, parameters: { workers: 1 } };
  /** One call per system permission; "allowed" is anything but 401/403 (LDAP calls answer 412 while LDAP is not configured). */
  const OPERATIONS: Record<string, (auth: Record<string, string>) => Promise<number>> = {
    "audit-log:list": async (a) => (await api("GET", "/audit-logs", a)).status,
    "catalog:read": tokenStatus,
    "garbage-collection:list": async (a) => (await api("GET", "/system/gc", a)).status,
    "garbage-collection:read": async (a) => (await api("GET", "/system/gc/schedule", a)).status,
    "garbage-collection:create": async (a) => (await api("POST", "/system/gc/schedule", a, gc)).status,
    "garbage-collection:update": async (a) => (await api("PUT", "/system/gc/schedule", a, gc)).status,
    "user:list": async (a) => (await api("GET", "/users", a)).status,
    "user-group:list": async (a) => (await api("GET", "/usergroups", a)).status,
    "user-group:create": async (a) => (await api("POST", "/usergroups", a, { group_name: `cg${++n}`, group_type: 3 })).status,
    "user-group:read": async (a) => (await api("GET", `/usergroups/${await tempGroup()}`, a)).status,
    "user-group:update": async (a) => (await api("PUT", `/usergroups/${await tempGroup()}`, a, { group_name: `ug${++n}` })).status,
    "user-group:delete": async (a) => (await api("DELETE", `/usergroups/${await tempGroup()}`, a)).status,
    "ldap-user:list": async (a) => (await api("GET", "/ldap/users/search?username=x", a)).status,
    "ldap-user:create": async (a) => (await api("POST", "/ldap/users/import", a, { ldap_uid_list: ["x"] })).status,
  };
  const allowed = (status: number) => status !== 401 && status !== 403;

  before(async () => {
    core = await startTestCore({ redis: "none" });
    await createUser(core.db, "plain", PW);
    assert.equal((await api("POST", "/projects", adminAuth(), { project_name: "p" })).status, 201);
  });
  after(async () => core?.close());

  async function robot(permissions: unknown[]): Promise<Record<string, string>> {
    const res = await api("POST", "/robots", adminAuth(), { name: `s${++n}`, level: "system", duration: -1, permissions });
    assert.equal(res.status, 201, JSON.stringify(res.data));
    return basic(res.data.name, res.data.secret);
  }
  const system = (pairs: string[]) => ({ kind: "system", namespace: "/", access: pairs.map((p) => ({ resource: p.split(":")[0], action: p.split(":")[1] })) });

  test("the walk covers every system permission", () => {
    assert.deepEqual(Object.keys(OPERATIONS).sort(), [...SYSTEM_ACCESS].sort());
  });

  test("each system endpoint: sysadmins and the robot holding the permission yes; a robot holding every other one, a project robot and a user no", async () => {
    const projectRobot = await robot([{ kind: "project", namespace: "p", access: [{ resource: "repository", action: "pull" }, { resource: "repository", action: "push" }] }]);
    for (const [pair, run] of Object.entries(OPERATIONS)) {
      assert.ok(allowed(await run(adminAuth())), `sysadmin ${pair}`);
      assert.ok(allowed(await run(await robot([system([pair])]))), `robot with ${pair}`);
      assert.equal(await run(await robot([system([...SYSTEM_ACCESS].filter((p) => p !== pair))])), 403, `robot with every other system permission: ${pair}`);
      assert.equal(await run(projectRobot), 403, `project robot: ${pair}`);
      assert.equal(await run(basic("plain", PW)), 403, `plain user: ${pair}`);
    }
  });

  test("a system permission is granted only at namespace / with pairs of the system table, only by sysadmins", async () => {
    const bad = async (permissions: unknown[]) => (await api("POST", "/robots", adminAuth(), { name: `b${++n}`, level: "system", permissions })).status;
    assert.equal(await bad([{ kind: "system", namespace: "p", access: [{ resource: "audit-log", action: "list" }] }]), 400);
    assert.equal(await bad([{ kind: "system", namespace: "/", access: [{ resource: "repository", action: "push" }] }]), 400);
    assert.equal(await bad([{ kind: "project", namespace: "p", access: [{ resource: "audit-log", action: "list" }] }]), 400);
    assert.equal((await api("POST", "/robots", adminAuth(), { name: `b${++n}`, level: "project", permissions: [system(["audit-log:list"])] })).status, 400);
    assert.equal((await api("POST", "/robots", basic("plain", PW), { name: `b${++n}`, level: "system", permissions: [system(["audit-log:list"])] })).status, 403);
    // A project permission of kind project with namespace "/" names no project.
    assert.equal(await bad([{ kind: "project", namespace: "/", access: [{ resource: "repository", action: "pull" }] }]), 400);
  });
});
