/**
 * Harbor's project webhook API: `/api/v2.0/projects/{project_name_or_id}/webhook/…` — policies,
 * their executions, tasks and task logs, and the supported event types and formats.
 * Permissions come from the role matrix (`notification-policy`: projectAdmin manages,
 * maintainer reads).
 */
import { Router, type Request } from "express";
import { z } from "zod";
import { isValidTag } from "@berth/oci";
import { AddressRefusedError, checkWebhookAddress, NOTIFY_TYPES, PAYLOAD_FORMATS, WEBHOOK_EVENT_TYPES, type WebhookTarget } from "@berth/webhooks";
import type { AccessControl } from "../auth/access-control.js";
import { auditActor, principalOf } from "../auth/principal.js";
import { InvalidInputError } from "../errors.js";
import { onlyKeys, parseHarborQuery, textMatch } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { bigIdParam, parseInput, parseParam } from "../http/parse-input.js";
import { parseSort, sortQuery } from "../http/sorting.js";
import { projectParam } from "../projects/project-param.js";
import type { ProjectStore } from "../projects/project-store.js";
import { executionView, taskView, type WebhookExecutionReader } from "./execution-views.js";
import { policyView, type PolicyInput, type WebhookPolicyStore } from "./webhook-policy-store.js";

const target = z
  .object({
    type: z.enum(NOTIFY_TYPES).default("http"),
    address: z.string().min(1).max(2048),
    auth_header: z.string().max(4096).optional(),
    skip_cert_verify: z.boolean().default(false),
    payload_format: z.enum(["Default", "CloudEvents", "DockerHub"]).default("Default"),
    secret: z.string().max(256).optional(),
    promote_tag: z.string().max(128).refine(isValidTag, "must be a valid tag").optional(),
  })
  .refine((t) => (PAYLOAD_FORMATS[t.type] as readonly string[]).includes(t.payload_format), { message: "payload_format is not supported for this target type" })
  .refine((t) => t.promote_tag === undefined || t.payload_format === "DockerHub", { message: "promote_tag needs the DockerHub payload format (its callbacks)" });
const policyBody = z.object({
  name: z.string().trim().min(1).max(256),
  description: z.string().max(1024).default(""),
  targets: z.array(target).min(1).max(20),
  event_types: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1),
  enabled: z.boolean().default(true),
});
const listQuery = z.object({ ...pagingQuery, q: z.string().max(1024).optional(), sort: sortQuery });
const pageQuery = z.object({ ...pagingQuery });
const SORT = { id: "id", name: "name", creation_time: "createdAt", update_time: "updatedAt" } as const;

export interface WebhookRoutesDeps {
  projects: ProjectStore;
  access: AccessControl;
  policies: WebhookPolicyStore;
  executions: WebhookExecutionReader;
  /** Refuse addresses resolving to private ranges at policy creation (BERTH_WEBHOOK_DENY_PRIVATE). */
  denyPrivate: boolean;
}

export function webhookRoutes(deps: WebhookRoutesDeps): Router {
  const { projects, access, policies, executions } = deps;
  const router = Router();
  const base = "/api/v2.0/projects/:project/webhook";
  const project = (req: Request) => projectParam(projects, req);
  const id = (req: Request, name: string) => parseParam(req, name, bigIdParam);

  async function parsePolicy(body: unknown): Promise<PolicyInput> {
    const input = parseInput(policyBody, body);
    for (const t of input.targets) {
      try {
        await checkWebhookAddress(t.address, { denyPrivate: deps.denyPrivate });
      } catch (err) {
        if (err instanceof AddressRefusedError) throw new InvalidInputError(`targets: ${err.message}`);
        throw err;
      }
    }
    const names = new Set(input.event_types);
    const targets = input.targets.map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as unknown as WebhookTarget);
    return { name: input.name, description: input.description, targets, eventTypes: [...names], enabled: input.enabled };
  }

  router.get(`${base}/policies`, async (req, res) => {
    const p = await project(req);
    await access.require(principalOf(res), p, "notification-policy", "list");
    const query = parseInput(listQuery, req.query);
    const page = paging(query);
    const q = parseHarborQuery(query.q);
    onlyKeys(q, ["name"]);
    const { total, items } = await policies.list(p.id, textMatch(q.get("name"), "name"), page, parseSort(query.sort, SORT));
    setPageHeaders(req, res, page, total);
    res.json(items.map(policyView));
  });

  router.post(`${base}/policies`, async (req, res) => {
    const p = await project(req);
    const principal = principalOf(res);
    await access.require(principal, p, "notification-policy", "create");
    const policy = await policies.create(p.id, p.name, await parsePolicy(req.body), auditActor(principal));
    res.setHeader("Location", `/api/v2.0/projects/${p.id}/webhook/policies/${policy.id}`);
    res.status(201).end();
  });

  router.get(`${base}/policies/:policy`, async (req, res) => {
    const p = await project(req);
    await access.require(principalOf(res), p, "notification-policy", "read");
    res.json(policyView(await policies.get(p.id, id(req, "policy"))));
  });

  router.put(`${base}/policies/:policy`, async (req, res) => {
    const p = await project(req);
    const principal = principalOf(res);
    await access.require(principal, p, "notification-policy", "update");
    const policy = await policies.get(p.id, id(req, "policy"));
    await policies.update(policy, p.name, await parsePolicy(req.body), auditActor(principal));
    res.status(200).end();
  });

  router.delete(`${base}/policies/:policy`, async (req, res) => {
    const p = await project(req);
    const principal = principalOf(res);
    await access.require(principal, p, "notification-policy", "delete");
    await policies.delete(await policies.get(p.id, id(req, "policy")), p.name, auditActor(principal));
    res.status(200).end();
  });

  router.get(`${base}/policies/:policy/executions`, async (req, res) => {
    const p = await project(req);
    await access.require(principalOf(res), p, "notification-policy", "read");
    const policy = await policies.get(p.id, id(req, "policy"));
    const page = paging(parseInput(pageQuery, req.query));
    const { total, items } = await executions.executions(policy.id, page);
    setPageHeaders(req, res, page, total);
    res.json(items.map(executionView));
  });

  router.get(`${base}/policies/:policy/executions/:execution/tasks`, async (req, res) => {
    const p = await project(req);
    await access.require(principalOf(res), p, "notification-policy", "read");
    const policy = await policies.get(p.id, id(req, "policy"));
    const execution = await executions.execution(policy.id, id(req, "execution"));
    const page = paging(parseInput(pageQuery, req.query));
    const { total, items } = await executions.tasks(execution.id, page);
    setPageHeaders(req, res, page, total);
    res.json(items.map(taskView));
  });

  router.get(`${base}/policies/:policy/executions/:execution/tasks/:task/log`, async (req, res) => {
    const p = await project(req);
    await access.require(principalOf(res), p, "notification-policy", "read");
    const policy = await policies.get(p.id, id(req, "policy"));
    const execution = await executions.execution(policy.id, id(req, "execution"));
    const task = await executions.task(execution.id, id(req, "task"));
    res.type("text/plain").send(task.log);
  });

  router.get(`${base}/events`, async (req, res) => {
    const p = await project(req);
    await access.require(principalOf(res), p, "notification-policy", "read");
    res.json({
      event_type: WEBHOOK_EVENT_TYPES,
      notify_type: NOTIFY_TYPES,
      payload_formats: NOTIFY_TYPES.map((type) => ({ notify_type: type, formats: PAYLOAD_FORMATS[type] })),
    });
  });

  return router;
}
