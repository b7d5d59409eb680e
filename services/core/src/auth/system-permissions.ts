/**
 * System-level permissions: what a system administrator may do outside any project, and what a
 * system robot's permissions of `kind: "system"` (namespace `/`) may grant. The table is the part
 * of Harbor's system policies (goharbor/harbor `src/common/rbac/const.go`,
 * `rbac/system/policies.go`) for the endpoints Berth serves; each row names the endpoints that
 * check it.
 */
import type { RobotPermission } from "./permissions.js";

/** The namespace of every `kind: "system"` permission, as Harbor writes it. */
export const SYSTEM_NAMESPACE = "/";

const SYSTEM_POLICIES = `
audit-log          | list                               | GET /audit-logs
catalog            | read                               | registry:catalog:* in tokens
garbage-collection | read list create update            | GET /system/gc, /system/gc/{id}(/log); GET, POST, PUT /system/gc/schedule
user               | list                               | GET /users
user-group         | read list create update delete     | /usergroups…
ldap-user          | list create                        | GET /ldap/users/search, POST /ldap/users/import
`;

/** `"resource:action"` pairs a system permission may hold. */
export const SYSTEM_ACCESS: ReadonlySet<string> = new Set(
  SYSTEM_POLICIES.trim()
    .split("\n")
    .flatMap((line) => {
      const [resource = "", actions = ""] = line.split("|").map((part) => part.trim());
      return actions.split(/\s+/).map((action) => `${resource}:${action}`);
    }),
);

/** Whether `resource:action` is a system-level permission. */
export function isSystemAccess(resource: string, action: string): boolean {
  return SYSTEM_ACCESS.has(`${resource}:${action}`);
}

/** Who asks for a system-level action: a user (with their effective sysadmin flag) or a robot. */
export type SystemSubject = { kind: "anonymous" } | { kind: "user"; sysadmin: boolean } | { kind: "robot"; permissions: readonly RobotPermission[] };

/**
 * May `subject` do `action` on the system-level `resource`? System administrators may do
 * anything; a robot exactly what its `kind: "system"` permissions grant; nobody else anything.
 */
export function authorizeSystem(subject: SystemSubject, resource: string, action: string): boolean {
  switch (subject.kind) {
    case "anonymous":
      return false;
    case "user":
      return subject.sysadmin;
    case "robot":
      return subject.permissions.some(
        (p) => p.kind === "system" && p.namespace === SYSTEM_NAMESPACE && p.access.some((a) => a.effect !== "deny" && a.resource === resource && a.action === action),
      );
  }
}
