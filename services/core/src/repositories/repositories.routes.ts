import { Router } from "express";
import { z } from "zod";
import type { RepositoryRecord } from "@berth/registry-store";
import type { AccessControl } from "../auth/access-control.js";
import { principalOf } from "../auth/principal.js";
import { InvalidInputError } from "../errors.js";
import { onlyKeys, parseHarborQuery } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { parseInput } from "../http/parse-input.js";
import { parseSort, sortQuery } from "../http/sorting.js";
import { projectByName } from "../projects/project-param.js";
import type { ProjectStore } from "../projects/project-store.js";
import { repositoryNameParam } from "./repository-name.js";
import type { RepositoryService } from "./repository-service.js";

/** Harbor's `Repository` JSON. */
export function repositoryView(r: RepositoryRecord) {
  return {
    id: r.id,
    project_id: r.projectId ?? 0,
    name: r.name,
    description: "",
    artifact_count: r.artifactCount,
    pull_count: r.pullCount,
    creation_time: r.createdAt.toISOString(),
    update_time: r.updatedAt.toISOString(),
  };
}

const listQuery = z.object({ ...pagingQuery, q: z.string().max(1024).optional(), sort: sortQuery });
const SORT = { name: "name", creation_time: "createdAt", update_time: "updatedAt" } as const;

/** `/api/v2.0/projects/{p}/repositories…`: list, get, delete. */
export function repositoriesRoutes(deps: { projects: ProjectStore; access: AccessControl; repositories: RepositoryService }): Router {
  const { projects, access, repositories } = deps;
  const router = Router();

  router.get("/api/v2.0/projects/:project/repositories", async (req, res) => {
    const project = await projectByName(projects, req);
    await access.require(principalOf(res), project, "repository", "list");
    const query = parseInput(listQuery, req.query);
    const q = parseHarborQuery(query.q);
    onlyKeys(q, ["name"]);
    const term = q.get("name");
    if (term && term.kind !== "exact" && term.kind !== "fuzzy") throw new InvalidInputError("q name supports exact (name=x) and fuzzy (name=~x) matches");
    const page = paging(query);
    const name = term?.kind === "exact" || term?.kind === "fuzzy" ? { kind: term.kind, value: term.value } : undefined;
    const { total, items } = await repositories.list(project, { name, order: parseSort(query.sort, SORT) }, page);
    setPageHeaders(req, res, page, total);
    res.json(items.map(repositoryView));
  });

  router.get("/api/v2.0/projects/:project/repositories/:repository", async (req, res) => {
    const project = await projectByName(projects, req);
    await access.require(principalOf(res), project, "repository", "read");
    res.json(repositoryView(await repositories.get(repositoryNameParam(project.name, String(req.params["repository"])))));
  });

  router.delete("/api/v2.0/projects/:project/repositories/:repository", async (req, res) => {
    const project = await projectByName(projects, req);
    const principal = principalOf(res);
    await access.require(principal, project, "repository", "delete");
    await repositories.delete(project, repositoryNameParam(project.name, String(req.params["repository"])), principal);
    res.status(200).end();
  });

  return router;
}
