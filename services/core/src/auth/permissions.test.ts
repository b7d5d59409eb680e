import { test } from "node:test";
import assert from "node:assert/strict";
import { authorize, highestRole, matrixEntries, ROLE_MATRIX, roleAllows, ROLES, type RoleName } from "./permissions.js";

// Harbor's matrix as published in harbor-role-matrix.md (from goharbor/harbor
// src/common/rbac/project/rbac_role.go), copied verbatim so the test checks the module against
// the source table rather than against itself.
const TABLE = `
| project (self) | delete | ✓ |  |  |  |  |
| project (self) | read | ✓ | ✓ | ✓ | ✓ | ✓ |
| project (self) | update | ✓ |  |  |  |  |
| accessory | list | ✓ | ✓ | ✓ | ✓ | ✓ |
| artifact | create | ✓ | ✓ | ✓ |  |  |
| artifact | delete | ✓ | ✓ |  |  |  |
| artifact | list | ✓ | ✓ | ✓ | ✓ | ✓ |
| artifact | read | ✓ | ✓ | ✓ | ✓ | ✓ |
| artifact-addition | read | ✓ | ✓ | ✓ | ✓ | ✓ |
| artifact-label | create | ✓ | ✓ | ✓ |  |  |
| artifact-label | delete | ✓ | ✓ | ✓ |  |  |
| configuration | read | ✓ | ✓ | ✓ | ✓ | ✓ |
| configuration | update | ✓ |  |  |  |  |
| export-cve | create | ✓ | ✓ | ✓ |  |  |
| export-cve | list | ✓ | ✓ | ✓ |  |  |
| export-cve | read | ✓ | ✓ | ✓ |  |  |
| immutable-tag | create | ✓ | ✓ |  |  |  |
| immutable-tag | delete | ✓ | ✓ |  |  |  |
| immutable-tag | list | ✓ | ✓ |  |  |  |
| immutable-tag | update | ✓ | ✓ |  |  |  |
| label | create | ✓ | ✓ |  |  |  |
| label | delete | ✓ | ✓ |  |  |  |
| label | list | ✓ | ✓ | ✓ | ✓ |  |
| label | read | ✓ | ✓ | ✓ | ✓ |  |
| label | update | ✓ | ✓ |  |  |  |
| log | list | ✓ |  |  |  |  |
| member | create | ✓ |  |  |  |  |
| member | delete | ✓ |  |  |  |  |
| member | list | ✓ | ✓ | ✓ | ✓ |  |
| member | read | ✓ | ✓ | ✓ | ✓ |  |
| member | update | ✓ |  |  |  |  |
| metadata | create | ✓ |  |  |  |  |
| metadata | delete | ✓ |  |  |  |  |
| metadata | read | ✓ | ✓ |  |  |  |
| metadata | update | ✓ |  |  |  |  |
| notification-policy | create | ✓ |  |  |  |  |
| notification-policy | delete | ✓ |  |  |  |  |
| notification-policy | list | ✓ | ✓ |  |  |  |
| notification-policy | read | ✓ | ✓ |  |  |  |
| notification-policy | update | ✓ |  |  |  |  |
| preheat-policy | create | ✓ |  |  |  |  |
| preheat-policy | delete | ✓ |  |  |  |  |
| preheat-policy | list | ✓ |  |  |  |  |
| preheat-policy | read | ✓ |  |  |  |  |
| preheat-policy | update | ✓ |  |  |  |  |
| quota | read | ✓ | ✓ | ✓ | ✓ | ✓ |
| repository | create | ✓ | ✓ | ✓ |  |  |
| repository | delete | ✓ | ✓ |  |  |  |
| repository | list | ✓ | ✓ | ✓ | ✓ | ✓ |
| repository | pull | ✓ | ✓ | ✓ | ✓ | ✓ |
| repository | push | ✓ | ✓ | ✓ |  |  |
| repository | read | ✓ | ✓ | ✓ | ✓ | ✓ |
| repository | update | ✓ | ✓ | ✓ |  |  |
| robot | create | ✓ |  |  |  |  |
| robot | delete | ✓ |  |  |  |  |
| robot | list | ✓ | ✓ | ✓ | ✓ |  |
| robot | read | ✓ | ✓ | ✓ | ✓ |  |
| robot | update | ✓ |  |  |  |  |
| sbom | create | ✓ | ✓ |  |  |  |
| sbom | read | ✓ | ✓ | ✓ | ✓ | ✓ |
| sbom | stop | ✓ | ✓ |  |  |  |
| scan | create | ✓ | ✓ |  |  |  |
| scan | read | ✓ | ✓ | ✓ | ✓ | ✓ |
| scan | stop | ✓ | ✓ |  |  |  |
| scanner | create | ✓ |  |  |  |  |
| scanner | read | ✓ | ✓ | ✓ | ✓ | ✓ |
| tag | create | ✓ | ✓ | ✓ |  |  |
| tag | delete | ✓ | ✓ |  |  |  |
| tag | list | ✓ | ✓ | ✓ | ✓ | ✓ |
| tag-retention | create | ✓ | ✓ | ✓ |  |  |
| tag-retention | delete | ✓ | ✓ | ✓ |  |  |
| tag-retention | list | ✓ | ✓ | ✓ |  |  |
| tag-retention | operate | ✓ | ✓ | ✓ |  |  |
| tag-retention | read | ✓ | ✓ | ✓ |  |  |
| tag-retention | update | ✓ | ✓ | ✓ |  |  |
`;

const COLUMNS: RoleName[] = ["projectAdmin", "maintainer", "developer", "guest", "limitedGuest"];
const rows = TABLE.trim()
  .split("\n")
  .map((line) => line.split("|").slice(1, -1).map((c) => c.trim()))
  .map(([resource, action, ...marks]) => ({ resource: resource === "project (self)" ? "project" : (resource as string), action: action as string, marks }));

test("the module has exactly the matrix's rows", () => {
  assert.equal(rows.length, 75);
  assert.equal(ROLE_MATRIX.size, rows.length);
  assert.deepEqual(new Set(matrixEntries().map((e) => `${e.resource}:${e.action}`)), new Set(rows.map((r) => `${r.resource}:${r.action}`)));
});

test("every role × resource × action is allowed or denied as the matrix says", () => {
  for (const row of rows) {
    COLUMNS.forEach((role, i) => {
      const expected = row.marks[i] === "✓";
      assert.equal(roleAllows(role, row.resource, row.action), expected, `${role} ${row.action} ${row.resource}`);
      const subject = { kind: "user" as const, sysadmin: false, roles: [role] };
      assert.equal(authorize(subject, { name: "p", public: false }, row.resource, row.action), expected, `${role} ${row.action} ${row.resource} (private project)`);
    });
  }
});

test("role ids are Harbor's", () => {
  assert.deepEqual(ROLES, { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 });
});

test("registry actions: pull for every role, push for developer and up, delete for maintainer and projectAdmin", () => {
  const can = (role: RoleName, action: string) => roleAllows(role, "repository", action);
  assert.deepEqual(COLUMNS.filter((r) => can(r, "pull")), COLUMNS);
  assert.deepEqual(COLUMNS.filter((r) => can(r, "push")), ["projectAdmin", "maintainer", "developer"]);
  assert.deepEqual(COLUMNS.filter((r) => can(r, "delete")), ["projectAdmin", "maintainer"]);
});

test("sysadmins may do anything; non-members nothing in private projects", () => {
  const priv = { name: "p", public: false };
  for (const { resource, action } of matrixEntries()) {
    assert.ok(authorize({ kind: "user", sysadmin: true, roles: [] }, priv, resource, action));
    assert.ok(!authorize({ kind: "user", sysadmin: false, roles: [] }, priv, resource, action));
    assert.ok(!authorize({ kind: "anonymous" }, priv, resource, action));
  }
});

test("anonymous callers only read public projects' public resources", () => {
  const pub = { name: "p", public: true };
  const anon = { kind: "anonymous" as const };
  assert.ok(authorize(anon, pub, "project", "read"));
  assert.ok(authorize(anon, pub, "repository", "pull"));
  assert.ok(authorize(anon, pub, "artifact", "list"));
  for (const [resource, action] of [["repository", "push"], ["repository", "delete"], ["member", "list"], ["log", "list"], ["robot", "list"], ["project", "update"], ["metadata", "read"]] as const) {
    assert.ok(!authorize(anon, pub, resource, action), `${resource}:${action}`);
  }
});

test("robots hold exactly their permissions, on their namespace or every project with *", () => {
  const robot = { kind: "robot" as const, permissions: [{ kind: "project" as const, namespace: "p", access: [{ resource: "repository", action: "pull" }] }] };
  assert.ok(authorize(robot, { name: "p", public: false }, "repository", "pull"));
  assert.ok(!authorize(robot, { name: "p", public: false }, "repository", "push"));
  assert.ok(!authorize(robot, { name: "q", public: false }, "repository", "pull"));
  const system = { kind: "robot" as const, permissions: [{ kind: "project" as const, namespace: "*", access: [{ resource: "repository", action: "push" }] }] };
  assert.ok(authorize(system, { name: "anything", public: false }, "repository", "push"));
});

test("several roles (a user's own and their groups') allow exactly what the highest of them allows", () => {
  const priv = { name: "p", public: false };
  const ids = Object.values(ROLES);
  for (let mask = 1; mask < 1 << ids.length; mask++) {
    const held = ids.filter((_, i) => mask & (1 << i));
    const top = highestRole(held)!;
    const topName = (Object.keys(ROLES) as RoleName[]).find((r) => ROLES[r] === top)!;
    const names = (Object.keys(ROLES) as RoleName[]).filter((r) => held.includes(ROLES[r]));
    for (const { resource, action } of matrixEntries()) {
      assert.equal(authorize({ kind: "user", sysadmin: false, roles: names }, priv, resource, action), roleAllows(topName, resource, action), `${names.join("+")} ${resource}:${action}`);
    }
  }
  assert.equal(highestRole([]), undefined);
  assert.equal(highestRole([ROLES.guest, ROLES.maintainer, ROLES.developer]), ROLES.maintainer);
});
