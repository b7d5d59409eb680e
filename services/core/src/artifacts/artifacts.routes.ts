import { flag } from "@berth/config";
import { Router, type Request } from "express";
import { z } from "zod";
import { isValidTag, parseManifestReference } from "@berth/oci";
import type { ArtifactQuery, RegistryStore } from "@berth/registry-store";
import type { AuditStore } from "../audit/audit-store.js";
import type { AccessControl } from "../auth/access-control.js";
import { auditActor, principalName, principalOf } from "../auth/principal.js";
import { BadRequestError, parseInput } from "../errors.js";
import { parseHarborQuery, type QueryTerm } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import type { ProjectStore } from "../projects/project-store.js";
import { mapRegistryErrors } from "../repositories/registry-errors.js";
import { projectByName } from "../repositories/repositories.routes.js";
import { repositoryNameParam } from "../repositories/repository-name.js";
import { copyArtifact } from "./artifact-copy.js";
import { artifactView } from "./artifact-view.js";

const listQuery = z.object({
  ...pagingQuery,
  q: z.string().max(1024).optional(),
  sort: z.string().optional(),
  with_tag: flag.default(true),
  with_label: z.string().optional(),
  with_scan_overview: z.string().optional(),
  with_signature: z.string().optional(),
  with_immutable_status: z.string().optional(),
  with_accessory: z.string().optional(),
});
const getQuery = z.object({ with_tag: flag.default(true) }).passthrough();
const FROM = /^([^@:]+(?:\/[^@:]+)*)(?:@(.+:[0-9a-fA-F]+)|:([^:@/]+))$/;

function tagQuery(q: Map<string, QueryTerm>): ArtifactQuery["tag"] {
  const term = q.get("tags");
  if (!term) return undefined;
  if (term.kind === "exact") {
    if (term.value === "*") return { kind: "any" };
    if (term.value === "nil") return { kind: "none" };
    return { kind: "exact", value: term.value };
  }
  if (term.kind === "fuzzy") return { kind: "fuzzy", value: term.value };
  throw new BadRequestError("q tags supports tags=x, tags=~x, tags=* and tags=nil");
}

/** `/api/v2.0/projects/{p}/repositories/{r}/artifacts…`: list, get, delete, copy, tags. */
export function artifactsRoutes(deps: { projects: ProjectStore; access: AccessControl; audit: AuditStore; registry: RegistryStore }): Router {
  const { projects, access, audit, registry } = deps;
  const router = Router();
  const base = "/api/v2.0/projects/:project/repositories/:repository/artifacts";

  async function context(req: Request) {
    const project = await projectByName(projects, req);
    const repository = repositoryNameParam(project.name, String(req.params["repository"]));
    return { project, repository };
  }

  async function views(items: Awaited<ReturnType<RegistryStore["artifacts"]["getArtifact"]>>[], withTags: boolean) {
    return Promise.all(items.map(async (a) => artifactView(a, { withTags, extraAttrs: await registry.artifacts.configAttributes(a) })));
  }

  router.get(base, async (req, res) => {
    const { project, repository } = await context(req);
    await access.require(principalOf(res), project, "artifact", "list");
    const query = parseInput(listQuery, req.query);
    const q = parseHarborQuery(query.q);
    const exact = (key: string) => {
      const term = q.get(key);
      if (term && term.kind !== "exact") throw new BadRequestError(`q ${key} supports exact matches only`);
      return term?.value;
    };
    const page = paging(query);
    const digest = exact("digest");
    const mediaType = exact("media_type");
    const tag = tagQuery(q);
    const { total, items } = await mapRegistryErrors(() =>
      registry.artifacts.listArtifacts(repository, {
        ...(digest !== undefined && { digest }),
        ...(mediaType !== undefined && { mediaType }),
        ...(tag !== undefined && { tag }),
        skip: page.skip,
        take: page.take,
      }),
    );
    setPageHeaders(req, res, page, total);
    res.json(await views(items, query.with_tag));
  });

  router.get(`${base}/:reference`, async (req, res) => {
    const { project, repository } = await context(req);
    await access.require(principalOf(res), project, "artifact", "read");
    const query = parseInput(getQuery, req.query);
    const artifact = await mapRegistryErrors(() => registry.artifacts.getArtifact(repository, String(req.params["reference"])));
    res.json((await views([artifact], query.with_tag))[0]);
  });

  router.delete(`${base}/:reference`, async (req, res) => {
    const { project, repository } = await context(req);
    const principal = principalOf(res);
    await access.require(principal, project, "artifact", "delete");
    const artifact = await mapRegistryErrors(() => registry.artifacts.getArtifact(repository, String(req.params["reference"])));
    // By digest: the manifest with all its tags; refused (412) while an index lists it.
    await mapRegistryErrors(() => registry.manifests.delete(repository, parseManifestReference(artifact.digest), { name: principalName(principal) }));
    await audit.record({
      ...auditActor(principal),
      resource: `${repository}@${artifact.digest}`,
      resourceType: "artifact",
      operation: "delete",
      projectId: project.id,
      detail: { tags: artifact.tags.map((t) => t.name) },
    });
    res.status(200).end();
  });

  router.post(base, async (req, res) => {
    const { project, repository } = await context(req);
    const principal = principalOf(res);
    const { from } = parseInput(z.object({ from: z.string().min(3).max(1024) }).passthrough(), req.query);
    const match = FROM.exec(from);
    if (!match) throw new BadRequestError("from must be <project>/<repository>@<digest> or <project>/<repository>:<tag>");
    const sourceRepo = match[1]!;
    const reference = match[2] ?? match[3]!;
    const sourceProject = await projects.resolve(sourceRepo.split("/")[0]!, true);
    await access.require(principal, sourceProject, "repository", "pull");
    await access.require(principal, project, "repository", "push");
    const digest = await mapRegistryErrors(() => copyArtifact(registry, sourceRepo, reference, repository, { name: principalName(principal) }));
    await audit.record({
      ...auditActor(principal),
      resource: `${repository}@${digest}`,
      resourceType: "artifact",
      operation: "create",
      projectId: project.id,
      detail: { copied_from: from },
    });
    res.setHeader("Location", `/api/v2.0/projects/${project.name}/repositories/${encodeURIComponent(repository.slice(project.name.length + 1))}/artifacts/${digest}`);
    res.status(201).end();
  });

  router.get(`${base}/:reference/tags`, async (req, res) => {
    const { project, repository } = await context(req);
    await access.require(principalOf(res), project, "tag", "list");
    const query = parseInput(z.object({ ...pagingQuery }).passthrough(), req.query);
    const artifact = await mapRegistryErrors(() => registry.artifacts.getArtifact(repository, String(req.params["reference"])));
    const page = paging(query);
    const all = artifactView(artifact, { withTags: true, extraAttrs: null }).tags ?? [];
    setPageHeaders(req, res, page, all.length);
    res.json(all.slice(page.skip, page.skip + page.take));
  });

  router.post(`${base}/:reference/tags`, async (req, res) => {
    const { project, repository } = await context(req);
    const principal = principalOf(res);
    await access.require(principal, project, "tag", "create");
    const { name } = parseInput(z.object({ name: z.string().min(1).max(128) }).passthrough(), req.body);
    if (!isValidTag(name)) throw new BadRequestError(`invalid tag ${name}`);
    const artifact = await mapRegistryErrors(() => registry.artifacts.getArtifact(repository, String(req.params["reference"])));
    await mapRegistryErrors(() => registry.artifacts.createTag(repository, artifact.digest, name, { name: principalName(principal) }));
    await audit.record({ ...auditActor(principal), resource: `${repository}:${name}`, resourceType: "tag", operation: "create", projectId: project.id, detail: { digest: artifact.digest } });
    res.setHeader("Location", `${req.baseUrl}${req.path}/${encodeURIComponent(name)}`);
    res.status(201).end();
  });

  router.delete(`${base}/:reference/tags/:tag`, async (req, res) => {
    const { project, repository } = await context(req);
    const principal = principalOf(res);
    await access.require(principal, project, "tag", "delete");
    const tag = String(req.params["tag"]);
    const artifact = await mapRegistryErrors(() => registry.artifacts.getArtifact(repository, String(req.params["reference"])));
    await mapRegistryErrors(() => registry.artifacts.deleteTag(repository, artifact.digest, tag, { name: principalName(principal) }));
    await audit.record({ ...auditActor(principal), resource: `${repository}:${tag}`, resourceType: "tag", operation: "delete", projectId: project.id, detail: { digest: artifact.digest } });
    res.status(200).end();
  });

  return router;
}
