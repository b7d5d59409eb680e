import type { AccessControl } from "../auth/access-control.js";
import type { Principal } from "../auth/principal.js";
import { authorizeSystem } from "../auth/system-permissions.js";
import type { ProjectStore } from "../projects/project-store.js";
import type { ResourceScope } from "./scope.js";
import type { TokenAccess } from "@berth/token";

/** Registry actions and the `repository` row of the matrix each needs. */
const REPOSITORY_ACTIONS = ["pull", "push", "delete"] as const;

/**
 * The intersection of what was asked and what the principal may do. A repository
 * `<project>/<rest>` belongs to the project named by its first path segment; an unknown project,
 * a name without a project, or an unknown type grants nothing (the entry stays, with no actions).
 * `*` on a repository means every action and is granted only with pull, push and delete all
 * allowed. `registry:catalog:*` is for system administrators and system robots with `catalog:read`.
 */
export async function grantAccess(deps: { projects: ProjectStore; access: AccessControl }, principal: Principal | undefined, scopes: ResourceScope[]): Promise<TokenAccess[]> {
  const granted: TokenAccess[] = [];
  for (const scope of scopes) {
    granted.push({ type: scope.type, name: scope.name, actions: await actionsFor(deps, principal, scope) });
  }
  return granted;
}

async function actionsFor(deps: { projects: ProjectStore; access: AccessControl }, principal: Principal | undefined, scope: ResourceScope): Promise<string[]> {
  if (scope.type === "registry") {
    const subject = !principal ? ({ kind: "anonymous" } as const) : principal.kind === "user" ? { kind: "user" as const, sysadmin: principal.sysadmin } : principal;
    return scope.name === "catalog" && authorizeSystem(subject, "catalog", "read") && scope.actions.includes("*") ? ["*"] : [];
  }
  if (scope.type !== "repository") return [];
  const slash = scope.name.indexOf("/");
  if (slash <= 0) return [];
  const project = await deps.projects.findByName(scope.name.slice(0, slash));
  if (!project) return [];
  const allowed = new Set(await deps.access.allowedActions(principal, project, "repository", REPOSITORY_ACTIONS));
  const all = REPOSITORY_ACTIONS.every((a) => allowed.has(a));
  return scope.actions.filter((a) => (a === "*" ? all : allowed.has(a)));
}
