import type { Project } from "@berth/db";
import { PermissionDeniedError, UnauthenticatedError } from "../errors.js";
import type { MemberStore } from "../members/member-store.js";
import { authorize, ROLES, type Subject } from "./permissions.js";
import type { Principal } from "./principal.js";

/**
 * Resolves who a principal is in a project (their own role and their groups' roles, or a robot's
 * permissions) and asks `authorize`.
 * Every endpoint that touches a project checks through here.
 */
export class AccessControl {
  constructor(private readonly members: MemberStore) {}

  async subject(principal: Principal | undefined, projectId: number): Promise<Subject> {
    if (!principal) return { kind: "anonymous" };
    if (principal.kind === "robot") return { kind: "robot", permissions: principal.permissions };
    if (principal.sysadmin) return { kind: "user", sysadmin: true, roles: [] };
    return { kind: "user", sysadmin: false, roles: await this.members.rolesOf(principal.id, principal.groupIds ?? [], projectId) };
  }

  async can(principal: Principal | undefined, project: Project, resource: string, action: string): Promise<boolean> {
    return authorize(await this.subject(principal, project.id), { name: project.name, public: project.public }, resource, action);
  }

  /** Throws 401 for anonymous callers and 403 for others when `can` is false. */
  async require(principal: Principal | undefined, project: Project, resource: string, action: string): Promise<void> {
    if (await this.can(principal, project, resource, action)) return;
    if (!principal) throw new UnauthenticatedError();
    throw new PermissionDeniedError(`${action} of ${resource} in project ${project.name} is not allowed`);
  }

  /** The actions of `wanted` that the principal holds on `resource` in `project`. */
  async allowedActions(principal: Principal | undefined, project: Project, resource: string, wanted: readonly string[]): Promise<string[]> {
    const subject = await this.subject(principal, project.id);
    return wanted.filter((action) => authorize(subject, { name: project.name, public: project.public }, resource, action));
  }
}

export { ROLES };
