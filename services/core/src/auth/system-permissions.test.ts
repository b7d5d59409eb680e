import assert from "node:assert/strict";
import { test } from "node:test";
import { authorizeSystem, isSystemAccess, SYSTEM_ACCESS } from "./system-permissions.js";

const robot = (kind: "system" | "project", namespace: string, pairs: [string, string][]) => ({
  kind: "robot" as const,
  permissions: [{ kind, namespace, access: pairs.map(([resource, action]) => ({ resource, action })) }],
});

test("the system table holds the pairs the system endpoints check", () => {
  for (const pair of ["audit-log:list", "catalog:read", "garbage-collection:create", "user:list", "user-group:delete", "ldap-user:create"]) assert.ok(SYSTEM_ACCESS.has(pair), pair);
  assert.ok(!isSystemAccess("repository", "push"), "project resources are not system ones");
  assert.ok(!isSystemAccess("audit-log", "delete"));
});

test("sysadmins may do anything at system level; other users and anonymous callers nothing", () => {
  for (const pair of SYSTEM_ACCESS) {
    const [resource, action] = pair.split(":") as [string, string];
    assert.ok(authorizeSystem({ kind: "user", sysadmin: true }, resource, action));
    assert.ok(!authorizeSystem({ kind: "user", sysadmin: false }, resource, action));
    assert.ok(!authorizeSystem({ kind: "anonymous" }, resource, action));
  }
});

test("a robot holds exactly its kind-system permissions at namespace /", () => {
  assert.ok(authorizeSystem(robot("system", "/", [["audit-log", "list"]]), "audit-log", "list"));
  assert.ok(!authorizeSystem(robot("system", "/", [["audit-log", "list"]]), "user", "list"));
  assert.ok(!authorizeSystem(robot("project", "/", [["audit-log", "list"]]), "audit-log", "list"), "a project permission is no system permission");
  assert.ok(!authorizeSystem(robot("system", "*", [["audit-log", "list"]]), "audit-log", "list"), "system permissions live at /");
  const denied = { kind: "robot" as const, permissions: [{ kind: "system" as const, namespace: "/", access: [{ resource: "audit-log", action: "list", effect: "deny" }] }] };
  assert.ok(!authorizeSystem(denied, "audit-log", "list"));
});
