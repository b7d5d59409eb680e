import { flag } from "@berth/config";
import type { Project } from "@berth/db";
import { Router } from "express";
import { z } from "zod";
import type { AccessControl } from "../auth/access-control.js";
import { requireAuthenticated } from "../auth/guards.js";
import { ROLES } from "../auth/permissions.js";
import { auditActor, principalOf, type Principal } from "../auth/principal.js";
import { InvalidInputError, PermissionDeniedError, UnauthenticatedError } from "../errors.js";
import { onlyKeys, parseHarborQuery, textMatch } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { parseInput } from "../http/parse-input.js";
import { parseSort, sortQuery } from "../http/sorting.js";
import type { MemberStore } from "../members/member-store.js";
import type { QuotaService } from "../quota/quota-service.js";
import type { UserStore } from "../users/user-store.js";
import { isValidProjectName, storageLimit } from "./project-input.js";
import { projectParam } from "./project-param.js";
import type { ProjectStore } from "./project-store.js";
import type { ProxyCacheCheck } from "./proxy-cache-check.js";
import { projectView } from "./project-view.js";
import type { AllowlistStore } from "../scanning/allowlist-store.js";
import { allowlistBody } from "../scanning/scan.routes.js";

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

const projectReq = z.object({
  project_name: z.string().max(255).optional(),
  public: z.boolean().nullish(),
  metadata: metadataSchema.optional(),
  storage_limit: storageLimit.nullish(),
  registry_id: z.number().int().positive().max(2 ** 31 - 1).nullish(),
  cve_allowlist: z.unknown().optional(),
});
const listQuery = z.object({
  ...pagingQuery,
  name: z.string().max(255).optional(),
  public: flag.optional(),
  owner: z.string().max(255).optional(),
  q: z.string().max(1024).optional(),
  sort: sortQuery,
  with_detail: flag.optional(),
});
const SORT = { name: "name", project_id: "id", creation_time: "createdAt", update_time: "updatedAt" } as const;

function metadataWithoutPublic(m: z.output<typeof metadataSchema> | undefined): Record<string, string> {
  const { public: _public, ...rest } = m ?? {};
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

/** `/api/v2.0/projects…`: create, list, get, update, delete, and the summary. */
export function projectsRoutes(deps: {
  projects: ProjectStore;
  members: MemberStore;
  users: UserStore;
  access: AccessControl;
  quotas: QuotaService;
  proxyCache: ProxyCacheCheck;
  allowlists: AllowlistStore;
}): Router {
  const { projects, members, users, access, quotas, proxyCache, allowlists } = deps;

  /**
   * The body's `cve_allowlist` (Harbor's project CVE allowlist), checked before anything is
   * written — a bad one must not leave the project created or its settings changed — and a
   * function storing it once the project is.
   */
  function allowlistOf(raw: unknown): (projectId: number) => Promise<void> {
    if (raw === undefined || raw === null) return async () => undefined;
    const list = parseInput(allowlistBody, raw);
    return (projectId) => allowlists.set(projectId, { items: list.items.map((i) => i.cve_id), expiresAt: list.expires_at ?? null });
  }
  const router = Router();

  async function views(items: Project[], principal: Principal | undefined) {
    const owners = await users.namesById(items.map((p) => p.ownerId));
    const roles = principal?.kind === "user" ? await members.roleIdsOf(principal.id, principal.groupIds ?? [], items.map((p) => p.id)) : new Map<number, number[]>();
    return Promise.all(
      items.map(async (p) => ({
        ...projectView(p, { ownerName: owners.get(p.ownerId) ?? "", repoCount: await projects.repositoryCount(p.id, p.name), roleIds: roles.get(p.id) ?? [] }),
        cve_allowlist: await allowlists.get(p.id),
      })),
    );
  }

  router.head("/api/v2.0/projects", requireAuthenticated(), async (req, res) => {
    const { project_name } = parseInput(z.object({ project_name: z.string().min(1).max(255) }), req.query);
    res.status((await projects.findByName(project_name)) ? 200 : 404).end();
  });

  router.get("/api/v2.0/projects", async (req, res) => {
    const query = parseInput(listQuery, req.query);
    const principal = principalOf(res);
    const q = parseHarborQuery(query.q);
    onlyKeys(q, ["name", "public", "owner"]);
    const publicTerm = q.get("public");
    if (publicTerm && (publicTerm.kind !== "exact" || !["true", "false", "1", "0"].includes(publicTerm.value))) throw new InvalidInputError("q public takes public=true or public=false");
    const ownerTerm = q.get("owner");
    if (ownerTerm && ownerTerm.kind !== "exact") throw new InvalidInputError("q owner takes an exact name: owner=<name>");
    const page = paging(query);
    const { total, items } = await projects.list(
      {
        visibleTo: principal,
        name: query.name !== undefined ? { contains: query.name } : textMatch(q.get("name"), "name"),
        public: query.public ?? (publicTerm?.kind === "exact" ? publicTerm.value === "true" || publicTerm.value === "1" : undefined),
        ownerName: query.owner ?? (ownerTerm?.kind === "exact" ? ownerTerm.value : undefined),
      },
      page,
      parseSort(query.sort, SORT),
    );
    setPageHeaders(req, res, page, total);
    res.json(await views(items, principal));
  });

  router.post("/api/v2.0/projects", async (req, res) => {
    const principal = principalOf(res);
    if (!principal) throw new UnauthenticatedError();
    if (principal.kind !== "user") throw new PermissionDeniedError("robot accounts cannot create projects");
    const body = parseInput(projectReq, req.body);
    const name = body.project_name ?? "";
    if (!isValidProjectName(name)) {
      throw new InvalidInputError("project_name must be 1–255 characters of lower-case letters and digits, separated by single '.', '_' or '-'");
    }
    const limit = body.storage_limit ?? -1;
    if (!principal.sysadmin && limit !== -1) throw new PermissionDeniedError("only system administrators may set storage_limit");
    const isPublic = body.metadata?.public !== undefined ? body.metadata.public === "true" : (body.public ?? false);
    const saveAllowlist = allowlistOf(body.cve_allowlist);
    const registryId = body.registry_id ?? null;
    if (registryId !== null) {
      if (!principal.sysadmin) throw new PermissionDeniedError("only system administrators may create proxy cache projects (registry_id)");
      await proxyCache.assertUsable(registryId);
    }
    const project = await projects.create(
      { name, public: isPublic, metadata: metadataWithoutPublic(body.metadata), storageLimit: BigInt(limit), registryId },
      principal.id,
      auditActor(principal),
    );
    await saveAllowlist(project.id);
    res.setHeader("Location", `/api/v2.0/projects/${project.id}`);
    res.status(201).end();
  });

  router.get("/api/v2.0/projects/:project", async (req, res) => {
    const project = await projectParam(projects, req);
    const principal = principalOf(res);
    await access.require(principal, project, "project", "read");
    const [view] = await views([project], principal);
    res.json(view);
  });

  router.put("/api/v2.0/projects/:project", async (req, res) => {
    const project = await projectParam(projects, req);
    const principal = principalOf(res);
    await access.require(principal, project, "project", "update");
    const body = parseInput(projectReq, req.body);
    if (body.project_name !== undefined && body.project_name !== project.name) throw new InvalidInputError("a project cannot be renamed");
    if (body.registry_id !== undefined && (body.registry_id ?? null) !== project.registryId) {
      throw new InvalidInputError("registry_id is set when a project is created and cannot be changed");
    }
    if (body.storage_limit != null && !(principal?.kind === "user" && principal.sysadmin)) {
      throw new PermissionDeniedError("only system administrators may change storage_limit");
    }
    const saveAllowlist = allowlistOf(body.cve_allowlist);
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
    await saveAllowlist(project.id);
    res.status(200).end();
  });

  router.delete("/api/v2.0/projects/:project", async (req, res) => {
    const project = await projectParam(projects, req);
    const principal = principalOf(res);
    await access.require(principal, project, "project", "delete");
    await projects.delete(project, auditActor(principal));
    res.status(200).end();
  });

  /** Harbor's `ProjectSummary`: repositories, member counts by role (for who may list members), quota (for who may read it). */
  router.get("/api/v2.0/projects/:project/summary", async (req, res) => {
    const project = await projectParam(projects, req);
    const principal = principalOf(res);
    await access.require(principal, project, "project", "read");
    // Independent reads, side by side.
    const [repoCount, canListMembers, canReadQuota] = await Promise.all([
      projects.repositoryCount(project.id, project.name),
      access.can(principal, project, "member", "list"),
      access.can(principal, project, "quota", "read"),
    ]);
    const [counts, used] = await Promise.all([
      canListMembers ? members.countByRole(project.id) : undefined,
      canReadQuota ? quotas.used(project.id) : undefined,
    ]);
    const summary: Record<string, unknown> = { repo_count: repoCount };
    if (counts !== undefined) {
      const count = (role: number) => counts.get(role) ?? 0;
      Object.assign(summary, {
        project_admin_count: count(ROLES.projectAdmin),
        maintainer_count: count(ROLES.maintainer),
        developer_count: count(ROLES.developer),
        guest_count: count(ROLES.guest),
        limited_guest_count: count(ROLES.limitedGuest),
      });
    }
    if (used !== undefined) {
      summary["quota"] = { hard: { storage: Number(project.storageLimit) }, used: { storage: used } };
    }
    res.json(summary);
  });

  return router;
}
