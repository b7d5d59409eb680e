import { flag } from "@berth/config";
import { Router, type Request } from "express";
import { z } from "zod";
import type { Prisma, Project } from "@berth/db";
import type { AccessControl } from "../auth/access-control.js";
import { requireAuthenticated } from "../auth/basic-auth.js";
import { auditActor, principalOf, type Principal } from "../auth/principal.js";
import { BadRequestError, ForbiddenError, parseInput, UnauthorizedError } from "../errors.js";
import { parseHarborQuery, stringFilter } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import type { MemberStore } from "../members/member-store.js";
import type { UserStore } from "../users/user-store.js";
import { isValidProjectName } from "./project-name.js";
import type { ProjectStore } from "./project-store.js";
import { projectView } from "./project-view.js";

const boolString = z.enum(["true", "false"]);
/** The metadata keys Berth keeps (besides `public`); values are Harbor's strings. */
const metadataSchema = z
  .object({
    public: boolString.optional(),
    enable_content_trust: boolString.optional(),
    enable_content_trust_cosign: boolString.optional(),
    prevent_vul: boolString.optional(),
    severity: z.enum(["none", "low", "medium", "high", "critical"]).optional(),
    auto_scan: boolString.optional(),
    auto_sbom_generation: boolString.optional(),
    reuse_sys_cve_allowlist: boolString.optional(),
  })
  .strict();
const storageLimit = z
  .number()
  .int()
  .refine((n) => n === -1 || n > 0, "must be -1 (unlimited) or a positive number of bytes");

const projectReq = z.object({
  project_name: z.string().max(255).optional(),
  public: z.boolean().nullish(),
  metadata: metadataSchema.optional(),
  storage_limit: storageLimit.nullish(),
  registry_id: z.null().optional(),
  cve_allowlist: z.unknown().optional(),
});
const listQuery = z.object({
  ...pagingQuery,
  name: z.string().max(255).optional(),
  public: flag.optional(),
  owner: z.string().max(255).optional(),
  q: z.string().max(1024).optional(),
  sort: z.string().optional(),
  with_detail: z.string().optional(),
});

/** Resolves `{project_name_or_id}` honouring `X-Is-Resource-Name`. */
export function resolveProject(projects: ProjectStore, req: Request, param = "project"): Promise<Project> {
  return projects.resolve(String(req.params[param]), req.get("X-Is-Resource-Name")?.toLowerCase() === "true");
}

function metadataWithoutPublic(m: z.output<typeof metadataSchema> | undefined): Record<string, string> {
  const { public: _public, ...rest } = m ?? {};
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

/** `/api/v2.0/projects…`: create, list, get, update and delete projects. */
export function projectsRoutes(deps: { projects: ProjectStore; members: MemberStore; users: UserStore; access: AccessControl }): Router {
  const { projects, members, users, access } = deps;
  const router = Router();

  async function views(items: Project[], principal: Principal | undefined) {
    const owners = await users.namesById(items.map((p) => p.ownerId));
    const roles = principal?.kind === "user" ? await members.roleIdsOf(principal.id, items.map((p) => p.id)) : new Map<number, number>();
    return Promise.all(
      items.map(async (p) =>
        projectView(p, { ownerName: owners.get(p.ownerId) ?? "", repoCount: await projects.repositoryCount(p.id, p.name), roleId: roles.get(p.id) }),
      ),
    );
  }

  /** Which projects `principal` may see: sysadmins all; others public ones plus their own. */
  async function visibility(principal: Principal | undefined): Promise<Prisma.ProjectWhereInput> {
    if (!principal) return { public: true };
    if (principal.kind === "user") {
      if (principal.sysadmin) return {};
      return { OR: [{ public: true }, { id: { in: await members.projectIdsOf(principal.id) } }] };
    }
    const namespaces = principal.permissions.filter((p) => p.kind === "project").map((p) => p.namespace);
    if (namespaces.includes("*")) return {};
    return { OR: [{ public: true }, { name: { in: namespaces } }] };
  }

  router.head("/api/v2.0/projects", requireAuthenticated(), async (req, res) => {
    const { project_name } = parseInput(z.object({ project_name: z.string().min(1).max(255) }), req.query);
    res.status((await projects.findByName(project_name)) ? 200 : 404).end();
  });

  router.get("/api/v2.0/projects", async (req, res) => {
    const query = parseInput(listQuery, req.query);
    const principal = principalOf(res);
    const q = parseHarborQuery(query.q);
    const and: Prisma.ProjectWhereInput[] = [await visibility(principal)];
    const name = query.name !== undefined ? { contains: query.name } : stringFilter(q.get("name"), "name");
    if (name) and.push({ name });
    const publicTerm = q.get("public");
    const isPublic = query.public ?? (publicTerm?.kind === "exact" ? publicTerm.value === "true" || publicTerm.value === "1" : undefined);
    if (isPublic !== undefined) and.push({ public: isPublic });
    if (query.owner !== undefined) {
      const owner = await users.findByName(query.owner);
      and.push({ ownerId: owner?.id ?? -1 });
    }
    const page = paging(query);
    const { total, items } = await projects.list({ AND: and }, page);
    setPageHeaders(req, res, page, total);
    res.json(await views(items, principal));
  });

  router.post("/api/v2.0/projects", async (req, res) => {
    const principal = principalOf(res);
    if (!principal) throw new UnauthorizedError();
    if (principal.kind !== "user") throw new ForbiddenError("robot accounts cannot create projects");
    const body = parseInput(projectReq, req.body);
    const name = body.project_name ?? "";
    if (!isValidProjectName(name)) {
      throw new BadRequestError("project_name must be 1–255 characters of lower-case letters and digits, separated by single '.', '_' or '-'");
    }
    const limit = body.storage_limit ?? -1;
    if (!principal.sysadmin && limit !== -1) throw new ForbiddenError("only system administrators may set storage_limit");
    const isPublic = body.metadata?.public !== undefined ? body.metadata.public === "true" : (body.public ?? false);
    const project = await projects.create(
      { name, public: isPublic, metadata: metadataWithoutPublic(body.metadata), storageLimit: BigInt(limit) },
      principal.id,
      auditActor(principal),
    );
    res.setHeader("Location", `/api/v2.0/projects/${project.id}`);
    res.status(201).end();
  });

  router.get("/api/v2.0/projects/:project", async (req, res) => {
    const project = await resolveProject(projects, req);
    const principal = principalOf(res);
    await access.require(principal, project, "project", "read");
    const [view] = await views([project], principal);
    res.json(view);
  });

  router.put("/api/v2.0/projects/:project", async (req, res) => {
    const project = await resolveProject(projects, req);
    const principal = principalOf(res);
    await access.require(principal, project, "project", "update");
    const body = parseInput(projectReq, req.body);
    if (body.project_name !== undefined && body.project_name !== project.name) throw new BadRequestError("a project cannot be renamed");
    if (body.storage_limit != null && !(principal?.kind === "user" && principal.sysadmin)) {
      throw new ForbiddenError("only system administrators may change storage_limit");
    }
    const metadata = body.metadata ? { ...(project.metadata as Record<string, string>), ...metadataWithoutPublic(body.metadata) } : undefined;
    const isPublic = body.metadata?.public !== undefined ? body.metadata.public === "true" : (body.public ?? undefined);
    await projects.update(
      project,
      {
        ...(isPublic !== undefined ? { public: isPublic } : {}),
        ...(metadata ? { metadata } : {}),
        ...(body.storage_limit != null ? { storageLimit: BigInt(body.storage_limit) } : {}),
      },
      auditActor(principal),
    );
    res.status(200).end();
  });

  router.delete("/api/v2.0/projects/:project", async (req, res) => {
    const project = await resolveProject(projects, req);
    const principal = principalOf(res);
    await access.require(principal, project, "project", "delete");
    await projects.delete(project, auditActor(principal));
    res.status(200).end();
  });

  return router;
}
