import { Router } from "express";
import { z } from "zod";
import type { PrismaClient, Project } from "@berth/db";
import type { RegistryStore } from "@berth/registry-store";
import type { AccessControl } from "../auth/access-control.js";
import { auditActor, principalOf } from "../auth/principal.js";
import { ROLES } from "../auth/permissions.js";
import { BadRequestError, ForbiddenError, NotFoundError, parseInput, UnauthorizedError } from "../errors.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import type { ProjectStore } from "../projects/project-store.js";
import { resolveProject } from "../projects/projects.routes.js";
import type { UserStore } from "../users/user-store.js";

/**
 * Quotas: the limit is `projects.storage_limit` (also set by project PUT), the usage is
 * registry-store's `project_quotas` row. A quota's id is its project's id.
 */
export function quotaRoutes(deps: {
  db: PrismaClient;
  projects: ProjectStore;
  users: UserStore;
  access: AccessControl;
  registry: RegistryStore;
}): Router {
  const { db, projects, users, access, registry } = deps;
  const router = Router();

  async function quotaViews(items: Project[]) {
    const [owners, usage] = await Promise.all([users.namesById(items.map((p) => p.ownerId)), registry.quotas.usage(items.map((p) => p.id))]);
    return items.map((p) => ({
      id: p.id,
      ref: { id: p.id, name: p.name, owner_name: owners.get(p.ownerId) ?? "" },
      hard: { storage: Number(p.storageLimit) },
      used: { storage: usage.get(p.id) ?? 0 },
      creation_time: p.createdAt.toISOString(),
      update_time: p.updatedAt.toISOString(),
    }));
  }

  function requireSysadmin(res: Parameters<typeof principalOf>[0]) {
    const principal = principalOf(res);
    if (!principal) throw new UnauthorizedError();
    if (!(principal.kind === "user" && principal.sysadmin)) throw new ForbiddenError("only system administrators may manage quotas");
    return principal;
  }

  router.get("/api/v2.0/projects/:project/summary", async (req, res) => {
    const project = await resolveProject(projects, req);
    const principal = principalOf(res);
    await access.require(principal, project, "project", "read");
    const summary: Record<string, unknown> = { repo_count: await registry.artifacts.countRepositories(project.name) };
    if (await access.can(principal, project, "member", "list")) {
      const groups = await db.projectMember.groupBy({ by: ["roleId"], where: { projectId: project.id }, _count: { _all: true } });
      const count = (role: number) => groups.find((g) => g.roleId === role)?._count._all ?? 0;
      Object.assign(summary, {
        project_admin_count: count(ROLES.projectAdmin),
        maintainer_count: count(ROLES.maintainer),
        developer_count: count(ROLES.developer),
        guest_count: count(ROLES.guest),
        limited_guest_count: count(ROLES.limitedGuest),
      });
    }
    if (await access.can(principal, project, "quota", "read")) {
      const usage = await registry.quotas.usage([project.id]);
      summary["quota"] = { hard: { storage: Number(project.storageLimit) }, used: { storage: usage.get(project.id) ?? 0 } };
    }
    res.json(summary);
  });

  const listQuery = z.object({
    ...pagingQuery,
    reference: z.enum(["project"]).optional(),
    reference_id: z.string().max(255).optional(),
    sort: z.string().optional(),
  });

  router.get("/api/v2.0/quotas", async (req, res) => {
    requireSysadmin(res);
    const query = parseInput(listQuery, req.query);
    const page = paging(query);
    const where =
      query.reference_id === undefined ? {} : /^[0-9]{1,9}$/.test(query.reference_id) ? { id: Number(query.reference_id) } : { name: query.reference_id };
    const { total, items } = await projects.list(where, page);
    setPageHeaders(req, res, page, total);
    res.json(await quotaViews(items));
  });

  async function quotaProject(id: string): Promise<Project> {
    if (!/^[0-9]{1,9}$/.test(id)) throw new BadRequestError("quota id must be an integer");
    const project = await db.project.findUnique({ where: { id: Number(id) } });
    if (!project) throw new NotFoundError(`quota ${id} not found`);
    return project;
  }

  router.get("/api/v2.0/quotas/:id", async (req, res) => {
    requireSysadmin(res);
    const project = await quotaProject(String(req.params["id"]));
    res.json((await quotaViews([project]))[0]);
  });

  const storageLimit = z
    .number()
    .int()
    .refine((n) => n === -1 || n > 0, "must be -1 (unlimited) or a positive number of bytes");

  router.put("/api/v2.0/quotas/:id", async (req, res) => {
    const principal = requireSysadmin(res);
    const project = await quotaProject(String(req.params["id"]));
    const body = parseInput(z.object({ hard: z.object({ storage: storageLimit }).passthrough() }), req.body);
    await projects.update(project, { storageLimit: BigInt(body.hard.storage) }, auditActor(principal));
    res.status(200).end();
  });

  return router;
}
