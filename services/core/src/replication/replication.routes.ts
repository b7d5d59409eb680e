/**
 * Harbor's replication API (system administrators only): `/replication/policies` (CRUD),
 * `/replication/executions` (start, list, get, stop), their tasks and task logs,
 * `/replication/adapters` and `/replication/adapterinfos`. docs/replication.md.
 */
import { Router, type Request } from "express";
import { z } from "zod";
import { validateCron } from "@berth/queue/cron";
import { isValidRepositoryName } from "@berth/oci";
import { adapterInfo, ENDPOINT_TYPES, filterProblems, normalizeFilters, TRIGGER_TYPES } from "@berth/replication";
import { requireSysadmin, sysadminOf } from "../auth/guards.js";
import { auditActor } from "../auth/principal.js";
import { InvalidInputError } from "../errors.js";
import { onlyKeys, parseHarborQuery, textMatch } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { bigIdParam, idParam, parseInput, parseParam } from "../http/parse-input.js";
import { parseSort, sortQuery } from "../http/sorting.js";
import type { EndpointStore } from "../registries/endpoint-store.js";
import type { ReplicationExecutionService } from "./execution-service.js";
import type { PolicyInput, ReplicationPolicyStore } from "./policy-store.js";
import { executionView, policyView, STORE_STATUSES, taskView } from "./replication-views.js";

const registryRef = z.object({ id: z.number().int().min(0).max(2_147_483_647) }).passthrough().nullable().optional();
const policyBody = z.object({
  name: z.string().trim().min(1).max(256),
  description: z.string().max(1024).default(""),
  src_registry: registryRef,
  dest_registry: registryRef,
  dest_namespace: z
    .string()
    .max(255)
    .default("")
    .refine((v) => v === "" || isValidRepositoryName(v), "must be a repository path (lower-case components separated by /)"),
  dest_namespace_replace_count: z.number().int().min(-1).max(100).nullable().default(-1),
  trigger: z
    .object({ type: z.enum(TRIGGER_TYPES), trigger_settings: z.object({ cron: z.string().max(128).default("") }).partial().nullable().optional() })
    .default({ type: "manual" }),
  filters: z.array(z.object({ type: z.string().max(32), value: z.unknown(), decoration: z.string().max(32).optional() })).max(10).nullable().default([]),
  replicate_deletion: z.boolean().nullable().optional(),
  deletion: z.boolean().nullable().optional(),
  override: z.boolean().nullable().default(true),
  enabled: z.boolean().nullable().default(true),
  speed: z.number().int().min(-1).max(10_000_000).nullable().default(-1),
  copy_by_chunk: z.boolean().nullable().default(false),
  single_active_replication: z.boolean().nullable().default(false),
});
const policyListQuery = z.object({ ...pagingQuery, q: z.string().max(1024).optional(), sort: sortQuery, name: z.string().max(256).optional() });
const executionListQuery = z.object({
  ...pagingQuery,
  sort: sortQuery,
  policy_id: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
  status: z.enum(Object.keys(STORE_STATUSES) as [string, ...string[]]).optional(),
  trigger: z.enum(["manual", "scheduled", "event_based"]).optional(),
});
const taskListQuery = z.object({ ...pagingQuery, sort: sortQuery, status: z.enum(Object.keys(STORE_STATUSES) as [string, ...string[]]).optional(), resource_type: z.string().max(32).optional() });
const startBody = z.object({ policy_id: z.number().int().min(1).max(2_147_483_647) });
const POLICY_SORT = { id: "id", name: "name", creation_time: "createdAt", update_time: "updatedAt" } as const;
const TRIGGER_FROM_HARBOR = { manual: "MANUAL", scheduled: "SCHEDULE", event_based: "EVENT_BASED" } as const;

export interface ReplicationRoutesDeps {
  policies: ReplicationPolicyStore;
  executions: ReplicationExecutionService;
  endpoints: EndpointStore;
  externalUrl: string;
}

/** A policy body as the store takes it: every problem of the filters and the cron reported. */
export function parsePolicy(body: unknown): PolicyInput {
  const p = parseInput(policyBody, body);
  const filters = p.filters ?? [];
  const problems = filterProblems(filters.map((f) => ({ type: f.type, value: f.value, decoration: f.decoration })));
  if (problems.length) throw new InvalidInputError(problems.join("; "));
  const cron = p.trigger.type === "scheduled" ? validateCron(p.trigger.trigger_settings?.cron ?? "") : "";
  const side = (r: { id: number } | null | undefined) => (r && r.id > 0 ? r.id : null);
  return {
    name: p.name,
    description: p.description,
    srcRegistryId: side(p.src_registry),
    destRegistryId: side(p.dest_registry),
    destNamespace: p.dest_namespace,
    destNamespaceReplaceCount: p.dest_namespace_replace_count ?? -1,
    triggerType: p.trigger.type,
    cron,
    filters: normalizeFilters(filters),
    replicateDeletion: p.replicate_deletion ?? p.deletion ?? false,
    override: p.override ?? true,
    enabled: p.enabled ?? true,
    speed: p.speed ?? -1,
    copyByChunk: p.copy_by_chunk ?? false,
    singleActiveReplication: p.single_active_replication ?? false,
  };
}

export function replicationRoutes(deps: ReplicationRoutesDeps): Router {
  const { policies, executions, endpoints } = deps;
  const router = Router();
  router.use("/api/v2.0/replication", requireSysadmin());
  const policyId = (req: Request) => parseParam(req, "id", idParam);
  const executionId = (req: Request) => parseParam(req, "id", bigIdParam);

  async function views(items: Parameters<typeof policyView>[0][]) {
    const ids = items.flatMap((p) => [p.srcRegistryId, p.destRegistryId]).filter((id): id is number => id !== null);
    const registries = await endpoints.byIds(ids);
    return items.map((p) => policyView(p, registries, deps.externalUrl));
  }

  router.get("/api/v2.0/replication/adapters", (_req, res) => {
    res.json([...ENDPOINT_TYPES]);
  });

  router.get("/api/v2.0/replication/adapterinfos", (_req, res) => {
    res.json(Object.fromEntries(ENDPOINT_TYPES.map((t) => [t, { ...adapterInfo(t), endpoint_pattern: { endpoint_type: "EndpointPatternTypeFix" }, credential_pattern: { access_key_type: "AccessKeyTypeStandard", access_secret_type: "AccessSecretTypeStandard" } }])));
  });

  router.get("/api/v2.0/replication/policies", async (req, res) => {
    const query = parseInput(policyListQuery, req.query);
    const page = paging(query);
    const q = parseHarborQuery(query.q);
    onlyKeys(q, ["name"]);
    const name = textMatch(q.get("name"), "name") ?? (query.name ? { contains: query.name } : undefined);
    const { total, items } = await policies.list(name, page, parseSort(query.sort, POLICY_SORT));
    setPageHeaders(req, res, page, total);
    res.json(await views(items));
  });

  router.post("/api/v2.0/replication/policies", async (req, res) => {
    const row = await policies.create(parsePolicy(req.body), auditActor(sysadminOf(res)));
    res.setHeader("Location", `/api/v2.0/replication/policies/${row.id}`);
    res.status(201).end();
  });

  router.get("/api/v2.0/replication/policies/:id", async (req, res) => {
    res.json((await views([await policies.get(policyId(req))]))[0]);
  });

  router.put("/api/v2.0/replication/policies/:id", async (req, res) => {
    const row = await policies.get(policyId(req));
    await policies.update(row, parsePolicy(req.body), auditActor(sysadminOf(res)));
    res.status(200).end();
  });

  router.delete("/api/v2.0/replication/policies/:id", async (req, res) => {
    await policies.delete(await policies.get(policyId(req)), auditActor(sysadminOf(res)));
    res.status(200).end();
  });

  router.get("/api/v2.0/replication/executions", async (req, res) => {
    const query = parseInput(executionListQuery, req.query);
    const page = paging(query);
    const order = query.sort === "start_time" || query.sort === "id" ? "asc" : "desc";
    const { total, items, counts } = await executions.list(
      { policyId: query.policy_id, statuses: query.status ? STORE_STATUSES[query.status] : undefined, trigger: query.trigger ? TRIGGER_FROM_HARBOR[query.trigger] : undefined },
      page,
      order,
    );
    setPageHeaders(req, res, page, total);
    res.json(items.map((e) => executionView(e, counts.get(e.id)!)));
  });

  router.post("/api/v2.0/replication/executions", async (req, res) => {
    const body = parseInput(startBody, req.body);
    const id = await executions.start(body.policy_id, auditActor(sysadminOf(res)));
    res.setHeader("Location", `/api/v2.0/replication/executions/${id}`);
    res.status(201).end();
  });

  router.get("/api/v2.0/replication/executions/:id", async (req, res) => {
    const { execution, counts } = await executions.get(executionId(req));
    res.json(executionView(execution, counts));
  });

  router.put("/api/v2.0/replication/executions/:id", async (req, res) => {
    await executions.stop(executionId(req), auditActor(sysadminOf(res)));
    res.status(200).end();
  });

  router.get("/api/v2.0/replication/executions/:id/tasks", async (req, res) => {
    const query = parseInput(taskListQuery, req.query);
    const page = paging(query);
    const { total, items } = await executions.tasks(executionId(req), { statuses: query.status ? STORE_STATUSES[query.status] : undefined, resourceType: query.resource_type }, page);
    setPageHeaders(req, res, page, total);
    res.json(items.map(taskView));
  });

  router.get("/api/v2.0/replication/executions/:id/tasks/:task_id/log", async (req, res) => {
    const task = await executions.task(executionId(req), parseParam(req, "task_id", bigIdParam));
    res.type("text/plain").send(task.log);
  });

  return router;
}
