import { Router, type Request } from "express";
import { z } from "zod";
import type { RegistryStore, RepositoryRecord } from "@berth/registry-store";
import type { AuditStore } from "../audit/audit-store.js";
import type { AccessControl } from "../auth/access-control.js";
import { auditActor, principalName, principalOf } from "../auth/principal.js";
import { BadRequestError, NotFoundError, parseInput } from "../errors.js";
import { parseHarborQuery } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import type { ProjectStore } from "../projects/project-store.js";
import { mapRegistryErrors } from "./registry-errors.js";
import { repositoryNameParam } from "./repository-name.js";

/** Harbor's `Repository` JSON. */
export function repositoryView(r: RepositoryRecord) {
  return {
    id: r.id,
    project_id: r.projectId ?? 0,
    name: r.name,
    description: "",
    artifact_count: r.artifactCount,
    pull_count: 0,
    creation_time: r.createdAt.toISOString(),
    update_time: r.updatedAt.toISOString(),
  };
}

const listQuery = z.object({ ...pagingQuery, q: z.string().max(1024).optional(), sort: z.string().optional() });

/** The project of a `/projects/{project_name}/…` path (always a name in these paths, as Harbor). */
export function projectByName(projects: ProjectStore, req: Request) {
  return projects.resolve(String(req.params["project"]), true);
}

/** `/api/v2.0/projects/{p}/repositories…`: list, get, delete. */
export function repositoriesRoutes(deps: { projects: ProjectStore; access: AccessControl; audit: AuditStore; registry: RegistryStore }): Router {
  const { projects, access, audit, registry } = deps;
  const router = Router();

  router.get("/api/v2.0/projects/:project/repositories", async (req, res) => {
    const project = await projectByName(projects, req);
    await access.require(principalOf(res), project, "repository", "list");
    const query = parseInput(listQuery, req.query);
    const term = parseHarborQuery(query.q).get("name");
    let name: { kind: "exact" | "fuzzy"; value: string } | undefined;
    if (term?.kind === "exact" || term?.kind === "fuzzy") name = { kind: term.kind, value: term.value };
    else if (term) throw new BadRequestError("q name supports exact (name=x) and fuzzy (name=~x) matches");
    const page = paging(query);
    const { total, items } = await registry.artifacts.listRepositories(project.name, { ...(name && { name }), skip: page.skip, take: page.take });
    setPageHeaders(req, res, page, total);
    res.json(items.map(repositoryView));
  });

  router.get("/api/v2.0/projects/:project/repositories/:repository", async (req, res) => {
    const project = await projectByName(projects, req);
    await access.require(principalOf(res), project, "repository", "read");
    const name = repositoryNameParam(project.name, String(req.params["repository"]));
    const repo = await registry.artifacts.getRepository(name);
    if (!repo) throw new NotFoundError(`repository ${name} not found`);
    res.json(repositoryView(repo));
  });

  router.delete("/api/v2.0/projects/:project/repositories/:repository", async (req, res) => {
    const project = await projectByName(projects, req);
    const principal = principalOf(res);
    await access.require(principal, project, "repository", "delete");
    const name = repositoryNameParam(project.name, String(req.params["repository"]));
    const result = await mapRegistryErrors(() => registry.artifacts.deleteRepository(name, { name: principalName(principal) }));
    await audit.record({ ...auditActor(principal), resource: name, resourceType: "repository", operation: "delete", projectId: project.id, detail: result });
    res.status(200).end();
  });

  return router;
}
