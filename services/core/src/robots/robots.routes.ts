import { Router } from "express";
import { z } from "zod";
import type { Prisma, Robot } from "@berth/db";
import type { AccessControl } from "../auth/access-control.js";
import { ROLE_MATRIX, type RobotPermission } from "../auth/permissions.js";
import { auditActor, principalOf, type Principal } from "../auth/principal.js";
import { BadRequestError, ForbiddenError, parseInput, UnauthorizedError } from "../errors.js";
import { parseHarborQuery } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { PROJECT_NAME } from "../projects/project-name.js";
import type { ProjectStore } from "../projects/project-store.js";
import { isStrongPassword } from "../users/password.js";
import { generateRobotSecret, robotLoginName, robotView, type RobotStore } from "./robot-store.js";

const access = z
  .object({ resource: z.string().max(64), action: z.string().max(32), effect: z.enum(["allow"]).optional() })
  .refine((a) => ROLE_MATRIX.has(`${a.resource}:${a.action}`), { message: "unknown resource/action pair (see docs/roles.md)" });
const permission = z.object({ kind: z.enum(["project", "system"]), namespace: z.string().min(1).max(255), access: z.array(access).min(1).max(100) });
const duration = z
  .number()
  .int()
  .refine((d) => d === -1 || (d > 0 && d <= 36_500), "must be -1 (never expires) or 1–36500 days");
const secret = z.string().max(128).refine(isStrongPassword, "secret must be 8–128 characters with upper-case, lower-case and a digit");
const createBody = z.object({
  name: z.string().min(1).max(255).regex(PROJECT_NAME, "must be lower-case letters and digits separated by single '.', '_' or '-'"),
  description: z.string().max(1024).optional(),
  secret: secret.optional(),
  level: z.enum(["system", "project"]),
  disable: z.boolean().optional(),
  duration: duration.optional(),
  permissions: z.array(permission).min(1).max(100),
});
const updateBody = z.object({
  description: z.string().max(1024).optional(),
  disable: z.boolean().optional(),
  duration: duration.optional(),
  permissions: z.array(permission).min(1).max(100).optional(),
});
const robotId = z.coerce.number().int().min(1).max(2_147_483_647);
const listQuery = z.object({ ...pagingQuery, q: z.string().max(1024).optional(), sort: z.string().optional() });

/** `/api/v2.0/robots…`: system robots (sysadmins) and project robots (projectAdmins). */
export function robotsRoutes(deps: { robots: RobotStore; projects: ProjectStore; access: AccessControl }): Router {
  const { robots, projects, access: acl } = deps;
  const router = Router();
  const isSysadmin = (p: Principal | undefined) => p?.kind === "user" && p.sysadmin;

  /**
   * Checks what a robot would be allowed: project robots hold one permission on their own project;
   * system robots may span projects (`*` for all) and only sysadmins make them. The caller must
   * itself hold every access it hands out (so no one mints a robot stronger than themselves).
   */
  async function checkPermissions(principal: Principal | undefined, level: "system" | "project", permissions: RobotPermission[], robotProjectId?: number | null) {
    if (!principal) throw new UnauthorizedError();
    if (permissions.some((p) => p.kind !== "project")) throw new BadRequestError('only permissions of kind "project" are supported');
    if (level === "system" && !isSysadmin(principal)) throw new ForbiddenError("only system administrators manage system-level robots");
    if (level === "project" && (permissions.length !== 1 || permissions[0]?.namespace === "*")) {
      throw new BadRequestError("a project-level robot has exactly one permission, on its own project");
    }
    const resolved = [];
    for (const p of permissions) {
      if (p.namespace === "*") {
        resolved.push({ permission: p, project: undefined });
        continue;
      }
      const project = await projects.findByName(p.namespace);
      if (!project) throw new BadRequestError(`project ${p.namespace} not found`);
      if (robotProjectId != null && project.id !== robotProjectId) throw new BadRequestError("a project robot's permission must stay on its project");
      for (const a of p.access) {
        if (!(await acl.can(principal, project, a.resource, a.action))) throw new ForbiddenError(`you cannot grant ${a.action} of ${a.resource} in ${project.name}`);
      }
      resolved.push({ permission: p, project });
    }
    return resolved;
  }

  /** Who may manage `robot` (`action` = read/update/delete): sysadmins; for project robots, the matrix. */
  async function requireOnRobot(principal: Principal | undefined, robot: Robot, action: "read" | "update" | "delete") {
    if (!principal) throw new UnauthorizedError();
    if (isSysadmin(principal)) return;
    if (robot.level === "project" && robot.projectId !== null) {
      const project = await projects.resolve(String(robot.projectId), false);
      return acl.require(principal, project, "robot", action);
    }
    throw new ForbiddenError("only system administrators manage system-level robots");
  }

  router.post("/api/v2.0/robots", async (req, res) => {
    const principal = principalOf(res);
    if (!principal) throw new UnauthorizedError();
    if (principal.kind !== "user") throw new ForbiddenError("robot accounts cannot create robots");
    const body = parseInput(createBody, req.body);
    const permissions = body.permissions as RobotPermission[];
    const resolved = await checkPermissions(principal, body.level, permissions);
    const project = body.level === "project" ? resolved[0]?.project : undefined;
    if (project) await acl.require(principal, project, "robot", "create");
    const clear = body.secret ?? generateRobotSecret();
    const robot = await robots.create(
      {
        loginName: robotLoginName(body.level, body.name, project?.name),
        description: body.description ?? "",
        level: body.level,
        projectId: project?.id ?? null,
        duration: body.duration ?? 30,
        disabled: body.disable ?? false,
        permissions,
        creatorType: "local",
        creatorRef: principal.id,
      },
      clear,
      auditActor(principal),
    );
    res.setHeader("Location", `/api/v2.0/robots/${robot.id}`);
    res.status(201).json({
      id: robot.id,
      name: robot.name,
      secret: clear,
      creation_time: robot.createdAt.toISOString(),
      expires_at: robot.expiresAt ? Math.floor(robot.expiresAt.getTime() / 1000) : -1,
    });
  });

  router.get("/api/v2.0/robots", async (req, res) => {
    const principal = principalOf(res);
    if (!principal) throw new UnauthorizedError();
    const query = parseInput(listQuery, req.query);
    const q = parseHarborQuery(query.q);
    const term = (key: string) => [...q.entries()].find(([k]) => k.toLowerCase() === key)?.[1];
    const where: Prisma.RobotWhereInput = {};
    const level = term("level");
    if (level?.kind === "exact") where.level = level.value;
    const projectTerm = term("projectid") ?? term("project_id");
    if (projectTerm?.kind === "exact") {
      const project = await projects.resolve(projectTerm.value, false);
      await acl.require(principal, project, "robot", "list");
      where.projectId = project.id;
    } else if (!isSysadmin(principal)) {
      throw new ForbiddenError("list robots of a project with q=Level=project,ProjectID=<id>, or be a system administrator");
    }
    const name = term("name");
    if (name?.kind === "fuzzy") where.name = { contains: name.value };
    else if (name?.kind === "exact") where.name = name.value;
    const page = paging(query);
    const { total, items } = await robots.list(where, page);
    setPageHeaders(req, res, page, total);
    res.json(items.map(robotView));
  });

  router.get("/api/v2.0/robots/:id", async (req, res) => {
    const robot = await robots.get(parseInput(robotId, req.params["id"]));
    await requireOnRobot(principalOf(res), robot, "read");
    res.json(robotView(robot));
  });

  router.put("/api/v2.0/robots/:id", async (req, res) => {
    const principal = principalOf(res);
    const robot = await robots.get(parseInput(robotId, req.params["id"]));
    await requireOnRobot(principal, robot, "update");
    const body = parseInput(updateBody, req.body);
    if (body.permissions) await checkPermissions(principal, robot.level === "system" ? "system" : "project", body.permissions as RobotPermission[], robot.projectId);
    await robots.update(
      robot,
      { description: body.description, disabled: body.disable, duration: body.duration, permissions: body.permissions as RobotPermission[] | undefined },
      auditActor(principal),
    );
    res.status(200).end();
  });

  router.patch("/api/v2.0/robots/:id", async (req, res) => {
    const principal = principalOf(res);
    const robot = await robots.get(parseInput(robotId, req.params["id"]));
    await requireOnRobot(principal, robot, "update");
    const body = parseInput(z.object({ secret: secret.optional() }), req.body ?? {});
    const clear = body.secret ?? generateRobotSecret();
    await robots.setSecret(robot, clear, auditActor(principal));
    res.json({ secret: clear });
  });

  router.delete("/api/v2.0/robots/:id", async (req, res) => {
    const principal = principalOf(res);
    const robot = await robots.get(parseInput(robotId, req.params["id"]));
    await requireOnRobot(principal, robot, "delete");
    await robots.delete(robot, auditActor(principal));
    res.status(200).end();
  });

  return router;
}
