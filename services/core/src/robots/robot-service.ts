/**
 * Robot accounts as the API manages them: who may create, see and change which robot, and what
 * a robot may be granted — project robots hold one permission on their own project; system
 * robots may span projects (`*` for all) and only system administrators manage them; nobody
 * grants more than they hold. Persistence is {@link RobotStore}'s.
 */
import type { Project, Robot } from "@berth/db";
import type { AccessControl } from "../auth/access-control.js";
import type { RobotPermission } from "../auth/permissions.js";
import { auditActor, type Principal } from "../auth/principal.js";
import { InvalidInputError, PermissionDeniedError, UnauthenticatedError } from "../errors.js";
import type { ListOrder, ListPage, Paging, TextMatch } from "../listing.js";
import type { ProjectStore } from "../projects/project-store.js";
import { generateRobotSecret, robotLoginName, type RobotSortField, type RobotStore } from "./robot-store.js";

export interface NewRobot {
  name: string;
  description: string;
  level: "system" | "project";
  duration: number;
  disabled: boolean;
  permissions: RobotPermission[];
  /** The secret to set; one is generated when absent. */
  secret?: string | undefined;
}

export interface RobotChanges {
  description?: string | undefined;
  disabled?: boolean | undefined;
  duration?: number | undefined;
  permissions?: RobotPermission[] | undefined;
}

const isSysadmin = (p: Principal | undefined) => p?.kind === "user" && p.sysadmin;

export class RobotService {
  constructor(
    private readonly robots: RobotStore,
    private readonly projects: ProjectStore,
    private readonly access: AccessControl,
  ) {}

  /** Creates a robot; returns it with its secret in clear (shown this once). */
  async create(principal: Principal | undefined, input: NewRobot): Promise<{ robot: Robot; secret: string }> {
    if (!principal) throw new UnauthenticatedError();
    if (principal.kind !== "user") throw new PermissionDeniedError("robot accounts cannot create robots");
    const resolved = await this.checkPermissions(principal, input.level, input.permissions);
    const project = input.level === "project" ? resolved[0] : undefined;
    if (project) await this.access.require(principal, project, "robot", "create");
    const secret = input.secret ?? generateRobotSecret();
    const robot = await this.robots.create(
      {
        loginName: robotLoginName(input.level, input.name, project?.name),
        description: input.description,
        level: input.level,
        projectId: project?.id ?? null,
        duration: input.duration,
        disabled: input.disabled,
        permissions: input.permissions,
        creatorType: "local",
        creatorRef: principal.id,
      },
      secret,
      auditActor(principal),
    );
    return { robot, secret };
  }

  /** Robots of one project (for those who may list its robots), or every robot (system administrators). */
  async list(principal: Principal | undefined, filter: { level?: "system" | "project" | undefined; project?: string | undefined; name?: TextMatch | undefined }, page: Paging, order?: ListOrder<RobotSortField>): Promise<ListPage<Robot>> {
    if (!principal) throw new UnauthenticatedError();
    let projectId: number | undefined;
    if (filter.project !== undefined) {
      const project = await this.projects.resolve(filter.project, false);
      await this.access.require(principal, project, "robot", "list");
      projectId = project.id;
    } else if (!isSysadmin(principal)) {
      throw new PermissionDeniedError("list robots of a project with q=Level=project,ProjectID=<id>, or be a system administrator");
    }
    return this.robots.list({ level: filter.level, projectId, name: filter.name }, page, order);
  }

  async get(principal: Principal | undefined, id: number): Promise<Robot> {
    const robot = await this.robots.get(id);
    await this.requireOn(principal, robot, "read");
    return robot;
  }

  async update(principal: Principal | undefined, id: number, changes: RobotChanges): Promise<void> {
    const robot = await this.robots.get(id);
    await this.requireOn(principal, robot, "update");
    if (changes.permissions) await this.checkPermissions(principal, robot.level === "system" ? "system" : "project", changes.permissions, robot.projectId);
    await this.robots.update(robot, changes, auditActor(principal));
  }

  /** Sets `secret` (or a generated one); returns it in clear. */
  async refreshSecret(principal: Principal | undefined, id: number, secret: string | undefined): Promise<string> {
    const robot = await this.robots.get(id);
    await this.requireOn(principal, robot, "update");
    const clear = secret ?? generateRobotSecret();
    await this.robots.setSecret(robot, clear, auditActor(principal));
    return clear;
  }

  async delete(principal: Principal | undefined, id: number): Promise<void> {
    const robot = await this.robots.get(id);
    await this.requireOn(principal, robot, "delete");
    await this.robots.delete(robot, auditActor(principal));
  }

  /** Checks what a robot would be granted; returns each permission's project (`undefined` for `*` and system permissions). */
  private async checkPermissions(principal: Principal | undefined, level: "system" | "project", permissions: RobotPermission[], robotProjectId?: number | null): Promise<(Project | undefined)[]> {
    if (!principal) throw new UnauthenticatedError();
    if (level === "system" && !isSysadmin(principal)) throw new PermissionDeniedError("only system administrators manage system-level robots");
    if (level === "project" && (permissions.length !== 1 || permissions[0]?.kind !== "project" || permissions[0]?.namespace === "*")) {
      throw new InvalidInputError("a project-level robot has exactly one permission, of kind project, on its own project");
    }
    if (permissions.filter((p) => p.kind === "system").length > 1) throw new InvalidInputError('a robot has at most one permission of kind "system"');
    const resolved: (Project | undefined)[] = [];
    for (const p of permissions) {
      // System permissions (namespace "/") are checked by the route's schema; only sysadmins grant them.
      if (p.kind === "system" || p.namespace === "*") {
        resolved.push(undefined);
        continue;
      }
      const project = await this.projects.findByName(p.namespace);
      if (!project) throw new InvalidInputError(`project ${p.namespace} not found`);
      if (robotProjectId != null && project.id !== robotProjectId) throw new InvalidInputError("a project robot's permission must stay on its project");
      for (const a of p.access) {
        if (!(await this.access.can(principal, project, a.resource, a.action))) throw new PermissionDeniedError(`you cannot grant ${a.action} of ${a.resource} in ${project.name}`);
      }
      resolved.push(project);
    }
    return resolved;
  }

  /** Who may manage `robot`: system administrators; for project robots, the role matrix. */
  private async requireOn(principal: Principal | undefined, robot: Robot, action: "read" | "update" | "delete"): Promise<void> {
    if (!principal) throw new UnauthenticatedError();
    if (isSysadmin(principal)) return;
    if (robot.level === "project" && robot.projectId !== null) {
      return this.access.require(principal, await this.projects.get(robot.projectId), "robot", action);
    }
    throw new PermissionDeniedError("only system administrators manage system-level robots");
  }
}
