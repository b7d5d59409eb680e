/**
 * Harbor's project role matrix (goharbor/harbor src/common/rbac/project/rbac_role.go, transcribed
 * in /work/shared/reference/harbor-role-matrix.md) and the one decision function every endpoint
 * and the token service use. Pure: callers resolve the principal's role and the project first.
 */

export const ROLES = {
  projectAdmin: 1,
  developer: 2,
  guest: 3,
  maintainer: 4,
  limitedGuest: 5,
} as const;

export type RoleName = keyof typeof ROLES;
export type RoleId = (typeof ROLES)[RoleName];

const ROLE_NAMES: Record<number, RoleName> = Object.fromEntries(Object.entries(ROLES).map(([name, id]) => [id, name as RoleName]));

export function roleName(id: number): RoleName | undefined {
  return ROLE_NAMES[id];
}

export function isRoleId(id: number): id is RoleId {
  return id in ROLE_NAMES;
}

/** Roles from most to least powerful: each holds every permission of the ones after it. */
const ROLE_PRECEDENCE: readonly RoleId[] = [ROLES.projectAdmin, ROLES.maintainer, ROLES.developer, ROLES.guest, ROLES.limitedGuest];

/** The most powerful of `roleIds` (a user's own role and their groups'), or `undefined` for none. */
export function highestRole(roleIds: readonly number[]): RoleId | undefined {
  return ROLE_PRECEDENCE.find((r) => roleIds.includes(r));
}

/** Harbor's name for the project itself is `project` in robot permissions and `self` in its code. */
export type Resource =
  | "project"
  | "accessory"
  | "artifact"
  | "artifact-addition"
  | "artifact-label"
  | "configuration"
  | "export-cve"
  | "immutable-tag"
  | "label"
  | "log"
  | "member"
  | "metadata"
  | "notification-policy"
  | "preheat-policy"
  | "quota"
  | "repository"
  | "robot"
  | "sbom"
  | "scan"
  | "scanner"
  | "tag"
  | "tag-retention";

export type Action = "create" | "delete" | "list" | "read" | "update" | "pull" | "push" | "stop" | "operate";

// Initials of the roles that hold each (resource, action): A projectAdmin, M maintainer,
// D developer, G guest, L limitedGuest. One line per row of the matrix.
const MATRIX_SOURCE = `
project delete A
project read AMDGL
project update A
accessory list AMDGL
artifact create AMD
artifact delete AM
artifact list AMDGL
artifact read AMDGL
artifact-addition read AMDGL
artifact-label create AMD
artifact-label delete AMD
configuration read AMDGL
configuration update A
export-cve create AMD
export-cve list AMD
export-cve read AMD
immutable-tag create AM
immutable-tag delete AM
immutable-tag list AM
immutable-tag update AM
label create AM
label delete AM
label list AMDG
label read AMDG
label update AM
log list A
member create A
member delete A
member list AMDG
member read AMDG
member update A
metadata create A
metadata delete A
metadata read AM
metadata update A
notification-policy create A
notification-policy delete A
notification-policy list AM
notification-policy read AM
notification-policy update A
preheat-policy create A
preheat-policy delete A
preheat-policy list A
preheat-policy read A
preheat-policy update A
quota read AMDGL
repository create AMD
repository delete AM
repository list AMDGL
repository pull AMDGL
repository push AMD
repository read AMDGL
repository update AMD
robot create A
robot delete A
robot list AMDG
robot read AMDG
robot update A
sbom create AM
sbom read AMDGL
sbom stop AM
scan create AM
scan read AMDGL
scan stop AM
scanner create A
scanner read AMDGL
tag create AMD
tag delete AM
tag list AMDGL
tag-retention create AMD
tag-retention delete AMD
tag-retention list AMD
tag-retention operate AMD
tag-retention read AMD
tag-retention update AMD
`;

const INITIALS: Record<string, RoleName> = { A: "projectAdmin", M: "maintainer", D: "developer", G: "guest", L: "limitedGuest" };

/** `"resource:action"` → the roles holding it. */
export const ROLE_MATRIX: ReadonlyMap<string, ReadonlySet<RoleName>> = new Map(
  MATRIX_SOURCE.trim()
    .split("\n")
    .map((line) => {
      const [resource, action, roles] = line.trim().split(/\s+/);
      return [`${resource}:${action}`, new Set([...(roles ?? "")].map((c) => INITIALS[c] as RoleName))] as const;
    }),
);

/** Every (resource, action) pair the matrix knows. */
export function matrixEntries(): { resource: Resource; action: Action }[] {
  return [...ROLE_MATRIX.keys()].map((key) => {
    const [resource, action] = key.split(":") as [Resource, Action];
    return { resource, action };
  });
}

/**
 * What anyone — anonymous callers and authenticated non-members — may do in a public project
 * (Harbor's `publicProjectPolicies`): read the project and pull and browse its content.
 */
const PUBLIC_PROJECT_POLICIES = new Set([
  "project:read",
  "repository:list",
  "repository:read",
  "repository:pull",
  "artifact:list",
  "artifact:read",
  "artifact-addition:read",
  "accessory:list",
  "tag:list",
  "label:list",
  "label:read",
  "scan:read",
  "scanner:read",
  "sbom:read",
]);

/** Whether `role` holds `action` on `resource` per the matrix. */
export function roleAllows(role: RoleName, resource: string, action: string): boolean {
  return ROLE_MATRIX.get(`${resource}:${action}`)?.has(role) ?? false;
}

/** A robot's permission, as Harbor's API carries it. */
export interface RobotPermission {
  kind: "project" | "system";
  namespace: string;
  access: { resource: string; action: string; effect?: string }[];
}

/** Who is asking: everything `authorize` needs, resolved by the caller. */
export type Subject =
  | { kind: "anonymous" }
  | { kind: "user"; sysadmin: boolean; roles: readonly RoleName[] }
  | { kind: "robot"; permissions: readonly RobotPermission[] };

export interface ProjectRef {
  name: string;
  public: boolean;
}

/**
 * The one decision: may `subject` do `action` on `resource` in `project`?
 * Sysadmins may do anything; members get the union of their roles' rows plus the public
 * policies when the project is public; robots get exactly the access they were given
 * (namespace = the project's name, or `*` for a system robot covering every project); anonymous
 * callers get only the public policies of public projects.
 */
export function authorize(subject: Subject, project: ProjectRef, resource: string, action: string): boolean {
  const isPublicRead = project.public && PUBLIC_PROJECT_POLICIES.has(`${resource}:${action}`);
  switch (subject.kind) {
    case "anonymous":
      return isPublicRead;
    case "user":
      return subject.sysadmin || isPublicRead || subject.roles.some((role) => roleAllows(role, resource, action));
    case "robot":
      return subject.permissions.some(
        (p) =>
          p.kind === "project" &&
          (p.namespace === project.name || p.namespace === "*") &&
          p.access.some((a) => a.effect !== "deny" && a.resource === resource && a.action === action),
      );
  }
}

