/**
 * Harbor's label API: `/api/v2.0/labels` (system labels, scope `g`: any signed-in user lists and
 * reads them, system administrators write them; project labels, scope `p`: the role matrix's
 * `label` rows in their project) and the labels of an artifact
 * (`/projects/{p}/repositories/{r}/artifacts/{reference}/labels`, the matrix's `artifact-label`).
 */
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Label } from "@berth/db";
import type { AccessControl } from "../auth/access-control.js";
import { sysadminOf } from "../auth/guards.js";
import { auditActor, principalOf } from "../auth/principal.js";
import { InvalidInputError, UnauthenticatedError } from "../errors.js";
import { onlyKeys, parseHarborQuery, textMatch } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { idParam, idValue, parseInput, parseParam } from "../http/parse-input.js";
import type { ProjectStore } from "../projects/project-store.js";
import { projectByName } from "../projects/project-param.js";
import { repositoryNameParam } from "../repositories/repository-name.js";
import type { ArtifactService } from "../artifacts/artifact-service.js";
import { labelView, type LabelInput, type LabelStore } from "./label-store.js";

const labelFields = {
  name: z.string().trim().min(1).max(128),
  description: z.string().max(1024).default(""),
  color: z.string().max(32).default(""),
};
const createBody = z.object({ ...labelFields, scope: z.enum(["g", "p"]).default("g"), project_id: z.number().int().min(0).max(2_147_483_647).default(0) }).passthrough();
const updateBody = z.object(labelFields).passthrough();
const listQuery = z.object({
  ...pagingQuery,
  q: z.string().max(1024).optional(),
  sort: z.string().max(256).optional(),
  name: z.string().max(128).optional(),
  scope: z.enum(["g", "p"]).default("g"),
  project_id: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
});
const addBody = z.object({ id: idValue }).passthrough();

export interface LabelRoutesDeps {
  projects: ProjectStore;
  access: AccessControl;
  labels: LabelStore;
  artifacts: ArtifactService;
}

export function labelsRoutes(deps: LabelRoutesDeps): Router {
  const { projects, access, labels, artifacts } = deps;
  const router = Router();
  const labelId = (req: Request) => parseParam(req, "id", idParam);

  /** Who may do `action` on `label`: anyone signed in reads system labels, sysadmins write them; project labels follow the matrix. */
  async function authorize(res: Response, label: Pick<Label, "scope" | "projectId">, action: "list" | "read" | "create" | "update" | "delete"): Promise<void> {
    if (label.scope === "g") {
      if (action === "list" || action === "read") {
        if (!principalOf(res)) throw new UnauthenticatedError();
        return;
      }
      sysadminOf(res, "system labels are managed by system administrators");
      return;
    }
    await access.require(principalOf(res), await projects.get(label.projectId), "label", action);
  }

  router.get("/api/v2.0/labels", async (req, res) => {
    const query = parseInput(listQuery, req.query);
    if (query.scope === "p" && query.project_id === undefined) throw new InvalidInputError("project_id is required when scope is p");
    await authorize(res, { scope: query.scope, projectId: query.project_id ?? 0 }, "list");
    const q = parseHarborQuery(query.q);
    onlyKeys(q, ["name"]);
    const page = paging(query);
    const name = textMatch(q.get("name"), "name") ?? (query.name ? { contains: query.name } : undefined);
    const { total, items } = await labels.list({ scope: query.scope, projectId: query.project_id, name }, page);
    setPageHeaders(req, res, page, total);
    res.json(items.map(labelView));
  });

  router.post("/api/v2.0/labels", async (req, res) => {
    const body = parseInput(createBody, req.body);
    if (body.scope === "p" && body.project_id === 0) throw new InvalidInputError("project_id is required for a project label (scope p)");
    await authorize(res, { scope: body.scope, projectId: body.project_id }, "create");
    const project = body.scope === "p" ? await projects.get(body.project_id) : undefined;
    const input: LabelInput = { name: body.name, description: body.description, color: body.color };
    const label = await labels.create(body.scope, project, input, auditActor(principalOf(res)));
    res.setHeader("Location", `/api/v2.0/labels/${label.id}`);
    res.status(201).end();
  });

  router.get("/api/v2.0/labels/:id", async (req, res) => {
    const label = await labels.get(labelId(req));
    await authorize(res, label, "read");
    res.json(labelView(label));
  });

  router.put("/api/v2.0/labels/:id", async (req, res) => {
    const label = await labels.get(labelId(req));
    await authorize(res, label, "update");
    const body = parseInput(updateBody, req.body);
    await labels.update(label, { name: body.name, description: body.description, color: body.color }, auditActor(principalOf(res)));
    res.status(200).end();
  });

  router.delete("/api/v2.0/labels/:id", async (req, res) => {
    const label = await labels.get(labelId(req));
    await authorize(res, label, "delete");
    await labels.delete(label, auditActor(principalOf(res)));
    res.status(200).end();
  });

  const artifactBase = "/api/v2.0/projects/:project/repositories/:repository/artifacts/:reference/labels";
  async function artifactOf(req: Request) {
    const project = await projectByName(projects, req);
    const repository = repositoryNameParam(project.name, String(req.params["repository"]));
    const reference = String(req.params["reference"]).slice(0, 256);
    return { project, repository, reference };
  }

  router.post(artifactBase, async (req, res) => {
    const { project, repository, reference } = await artifactOf(req);
    await access.require(principalOf(res), project, "artifact-label", "create");
    const { id } = parseInput(addBody, req.body);
    const artifact = await artifacts.get(repository, reference);
    const label = await labels.get(id);
    await labels.addToArtifact(project.id, { id: artifact.id, ref: `${repository}@${artifact.digest}` }, label, auditActor(principalOf(res)));
    res.status(200).end();
  });

  router.delete(`${artifactBase}/:label_id`, async (req, res) => {
    const { project, repository, reference } = await artifactOf(req);
    await access.require(principalOf(res), project, "artifact-label", "delete");
    const artifact = await artifacts.get(repository, reference);
    await labels.removeFromArtifact(project.id, { id: artifact.id, ref: `${repository}@${artifact.digest}` }, parseParam(req, "label_id", idParam), auditActor(principalOf(res)));
    res.status(200).end();
  });

  return router;
}
