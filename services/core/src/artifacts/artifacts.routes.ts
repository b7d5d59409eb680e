import { flag } from "@berth/config";
import { pipeline } from "node:stream/promises";
import { Router, type Request } from "express";
import { z } from "zod";
import { isValidTag } from "@berth/oci";
import type { ArtifactQuery, ArtifactRecord } from "@berth/registry-store";
import type { AccessControl } from "../auth/access-control.js";
import { principalOf } from "../auth/principal.js";
import { InvalidInputError } from "../errors.js";
import { onlyKeys, parseHarborQuery, type QueryTerm } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { parseInput } from "../http/parse-input.js";
import { parseSort, sortQuery } from "../http/sorting.js";
import { projectByName } from "../projects/project-param.js";
import type { ProjectStore } from "../projects/project-store.js";
import { repositoryNameParam } from "../repositories/repository-name.js";
import type { ScanService } from "../scanning/scan-service.js";
import type { ArtifactService } from "./artifact-service.js";
import { ACCESSORY_TYPE_NAMES, accessoryView } from "./accessory-view.js";
import { artifactView } from "./artifact-view.js";

const listQuery = z.object({
  ...pagingQuery,
  q: z.string().max(1024).optional(),
  sort: sortQuery,
  with_tag: flag.default(true),
  with_label: flag.optional(),
  with_scan_overview: flag.optional(),
  with_signature: flag.optional(),
  with_immutable_status: flag.optional(),
  with_accessory: flag.optional(),
});
const SORT = { push_time: "pushTime", pull_time: "pullTime", size: "size", digest: "digest" } as const;
const getQuery = z.object({ with_tag: flag.default(true), with_scan_overview: flag.optional(), with_label: flag.optional(), with_immutable_status: flag.optional() }).passthrough();
/** What a list or get adds to each artifact: `with_scan_overview`, `with_label`, `with_immutable_status`. */
function viewOptions(query: { with_scan_overview?: boolean | undefined; with_label?: boolean | undefined; with_immutable_status?: boolean | undefined }) {
  return { withScanOverview: query.with_scan_overview ?? false, withLabels: query.with_label ?? false, withImmutable: query.with_immutable_status ?? false };
}
const accessoriesQuery = z.object({ ...pagingQuery, q: z.string().max(1024).optional(), sort: sortQuery });
const copyQuery = z.object({ from: z.string().min(3).max(1024) }).passthrough();
const tagBody = z.object({ name: z.string().min(1).max(128) }).passthrough();
const FROM = /^([^@:]+(?:\/[^@:]+)*)(?:@(.+:[0-9a-fA-F]+)|:([^:@/]+))$/;
/** A tag or digest in a path: what a reference can be, with room to spare. */
const REFERENCE_MAX = 256;

function tagQuery(q: Map<string, QueryTerm>): ArtifactQuery["tag"] {
  const term = q.get("tags");
  if (!term) return undefined;
  if (term.kind === "exact") {
    if (term.value === "*") return { kind: "any" };
    if (term.value === "nil") return { kind: "none" };
    return { kind: "exact", value: term.value };
  }
  if (term.kind === "fuzzy") return { kind: "fuzzy", value: term.value };
  throw new InvalidInputError("q tags supports tags=x, tags=~x, tags=* and tags=nil");
}

/** `labels=(id1 id2)` (every one) or `labels=id`: label ids. */
function labelQuery(q: Map<string, QueryTerm>): number[] | undefined {
  const term = q.get("labels");
  if (!term) return undefined;
  const values = term.kind === "and" ? term.values : term.kind === "exact" ? [term.value] : undefined;
  const ids = values?.map((v) => Number(v));
  if (!ids || ids.length === 0 || ids.length > 10 || ids.some((id) => !Number.isInteger(id) || id < 1 || id > 2_147_483_647)) {
    throw new InvalidInputError("q labels takes label ids: labels=(id1 id2) or labels=id");
  }
  return ids;
}

/** `/api/v2.0/projects/{p}/repositories/{r}/artifacts…`: list, get, delete, copy, tags. */
export function artifactsRoutes(deps: { projects: ProjectStore; access: AccessControl; artifacts: ArtifactService; scans: ScanService }): Router {
  const { projects, access, artifacts } = deps;
  const router = Router();
  const base = "/api/v2.0/projects/:project/repositories/:repository/artifacts";

  async function context(req: Request) {
    const project = await projectByName(projects, req);
    const repository = repositoryNameParam(project.name, String(req.params["repository"]));
    return { project, repository };
  }
  const reference = (req: Request) => {
    const ref = String(req.params["reference"]);
    if (ref.length > REFERENCE_MAX) throw new InvalidInputError(`reference must be a tag or a digest (at most ${REFERENCE_MAX} characters)`);
    return ref;
  };

  async function views(items: ArtifactRecord[], withTags: boolean, opts: { withScanOverview?: boolean; withLabels?: boolean; withImmutable?: boolean } = {}) {
    const overviews = opts.withScanOverview ? await deps.scans.overviews(items.map((a) => a.digest)) : undefined;
    return Promise.all(
      items.map(async (a) => {
        const view = artifactView(a, {
          withTags,
          withLabels: opts.withLabels ?? false,
          ...(opts.withImmutable && { immutableTags: await artifacts.immutableTags(a) }),
          extraAttrs: await artifacts.extraAttributes(a),
        });
        return overviews ? { ...view, scan_overview: overviews.get(a.digest) ?? null } : view;
      }),
    );
  }

  router.get(base, async (req, res) => {
    const { project, repository } = await context(req);
    await access.require(principalOf(res), project, "artifact", "list");
    const query = parseInput(listQuery, req.query);
    const q = parseHarborQuery(query.q);
    onlyKeys(q, ["digest", "media_type", "tags", "labels"]);
    const exact = (key: string) => {
      const term = q.get(key);
      if (term && term.kind !== "exact") throw new InvalidInputError(`q ${key} supports exact matches only`);
      return term?.value;
    };
    const page = paging(query);
    const digest = exact("digest");
    const mediaType = exact("media_type");
    const tag = tagQuery(q);
    const labelIds = labelQuery(q);
    const { total, items } = await artifacts.list(repository, {
      ...(labelIds !== undefined && { labelIds }),
      ...(digest !== undefined && { digest }),
      ...(mediaType !== undefined && { mediaType }),
      ...(tag !== undefined && { tag }),
      order: parseSort(query.sort, SORT),
      skip: page.skip,
      take: page.take,
    });
    setPageHeaders(req, res, page, total);
    res.json(await views(items, query.with_tag, viewOptions(query)));
  });

  router.get(`${base}/:reference`, async (req, res) => {
    const { project, repository } = await context(req);
    await access.require(principalOf(res), project, "artifact", "read");
    const query = parseInput(getQuery, req.query);
    res.json((await views([await artifacts.get(repository, reference(req))], query.with_tag, viewOptions(query)))[0]);
  });

  router.delete(`${base}/:reference`, async (req, res) => {
    const { project, repository } = await context(req);
    const principal = principalOf(res);
    await access.require(principal, project, "artifact", "delete");
    await artifacts.delete(project, repository, reference(req), principal);
    res.status(200).end();
  });

  router.post(base, async (req, res) => {
    const { project, repository } = await context(req);
    const principal = principalOf(res);
    const { from } = parseInput(copyQuery, req.query);
    const match = FROM.exec(from);
    if (!match) throw new InvalidInputError("from must be <project>/<repository>@<digest> or <project>/<repository>:<tag>");
    const sourceRepo = match[1]!;
    const sourceProject = await projects.resolve(sourceRepo.split("/")[0]!, true);
    await access.require(principal, sourceProject, "repository", "pull");
    await access.require(principal, project, "repository", "push");
    const digest = await artifacts.copy(project, repository, { repository: sourceRepo, reference: match[2] ?? match[3]!, label: from }, principal);
    res.setHeader("Location", `/api/v2.0/projects/${project.name}/repositories/${encodeURIComponent(repository.slice(project.name.length + 1))}/artifacts/${digest}`);
    res.status(201).end();
  });

  // Harbor's accessories: the artifact's OCI referrers (signatures, SBOMs, …), paged, oldest first (`sort=-creation_time`: newest first).
  router.get(`${base}/:reference/accessories`, async (req, res) => {
    const { project, repository } = await context(req);
    await access.require(principalOf(res), project, "artifact", "read");
    const query = parseInput(accessoriesQuery, req.query);
    const newestFirst = parseSort(query.sort, { creation_time: "creationTime" })[0]?.direction === "desc";
    const q = parseHarborQuery(query.q);
    onlyKeys(q, ["type"]);
    const term = q.get("type");
    if (term && (term.kind !== "exact" || !ACCESSORY_TYPE_NAMES.includes(term.value))) throw new InvalidInputError(`q type must be one of ${ACCESSORY_TYPE_NAMES.join(", ")}`);
    const subject = await artifacts.get(repository, reference(req));
    const page = paging(query);
    const { total, items } = await artifacts.accessories(subject, { type: term?.kind === "exact" ? term.value : undefined, skip: page.skip, take: page.take, newestFirst });
    setPageHeaders(req, res, page, total);
    res.json(items.map((a) => accessoryView(a.record, subject, a.type)));
  });

  // Harbor's `sbom` addition: the SPDX or CycloneDX document of an SBOM accessory (or of the newest SBOM of an image).
  router.get(`${base}/:reference/additions/sbom`, async (req, res) => {
    const { project, repository } = await context(req);
    await access.require(principalOf(res), project, "artifact", "read");
    const sbom = await artifacts.sbom(repository, reference(req));
    res.type(sbom.mediaType);
    if (sbom.size) res.setHeader("Content-Length", String(sbom.size));
    await pipeline(sbom.stream, res);
  });

  router.get(`${base}/:reference/tags`, async (req, res) => {
    const { project, repository } = await context(req);
    await access.require(principalOf(res), project, "tag", "list");
    const query = parseInput(z.object({ ...pagingQuery }).passthrough(), req.query);
    const artifact = await artifacts.get(repository, reference(req));
    const page = paging(query);
    const all = artifactView(artifact, { withTags: true, extraAttrs: null }).tags ?? [];
    setPageHeaders(req, res, page, all.length);
    res.json(all.slice(page.skip, page.skip + page.take));
  });

  router.post(`${base}/:reference/tags`, async (req, res) => {
    const { project, repository } = await context(req);
    const principal = principalOf(res);
    await access.require(principal, project, "tag", "create");
    const { name } = parseInput(tagBody, req.body);
    if (!isValidTag(name)) throw new InvalidInputError(`invalid tag ${name}: up to 128 letters, digits, _ . - not starting with . or -`);
    await artifacts.addTag(project, repository, reference(req), name, principal);
    res.setHeader("Location", `${req.baseUrl}${req.path}/${encodeURIComponent(name)}`);
    res.status(201).end();
  });

  router.delete(`${base}/:reference/tags/:tag`, async (req, res) => {
    const { project, repository } = await context(req);
    const principal = principalOf(res);
    await access.require(principal, project, "tag", "delete");
    const tag = String(req.params["tag"]);
    if (!isValidTag(tag)) throw new InvalidInputError(`invalid tag ${tag.slice(0, 200)}`);
    await artifacts.deleteTag(project, repository, reference(req), tag, principal);
    res.status(200).end();
  });

  return router;
}
