/**
 * Harbor's tag retention API: `/api/v2.0/retentions` (a project's policy: create, get, update,
 * delete), `/retentions/metadatas`, and `/retentions/{id}/executions` (start — `dry_run` lists
 * what would go —, list, stop) with their per-repository tasks and task logs. Permissions from
 * the role matrix (`tag-retention`: projectAdmin, maintainer, developer) in the policy's project.
 */
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Execution, Project, RetentionPolicy, Task } from "@berth/db";
import { validateCron } from "@berth/queue/cron";
import { retentionMetadata, retentionRuleProblems, type RetentionRule, type RetentionTemplate } from "@berth/retention";
import type { AccessControl } from "../auth/access-control.js";
import { auditActor, principalOf } from "../auth/principal.js";
import { InvalidInputError, UnauthenticatedError } from "../errors.js";
import { ruleSelectors, storedSelectors } from "../immutability/rule-selectors.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { bigIdParam, idParam, parseInput, parseParam } from "../http/parse-input.js";
import type { ProjectStore } from "../projects/project-store.js";
import type { RetentionExecutionService } from "./retention-executions.js";
import { retentionPolicyView, type RetentionPolicyInput, type RetentionPolicyStore } from "./retention-store.js";

const rule = z.object({
  id: z.number().int().optional(),
  priority: z.number().int().min(0).max(1_000_000).default(0),
  disabled: z.boolean().default(false),
  action: z.string().max(32).default("retain"),
  template: z.string().max(64),
  params: z.record(z.string(), z.unknown()).nullable().optional(),
  ...ruleSelectors,
});
const policyBody = z.object({
  id: z.number().int().optional(),
  algorithm: z.literal("or").default("or"),
  rules: z.array(rule).max(100),
  trigger: z
    .object({ kind: z.literal("Schedule").default("Schedule"), references: z.unknown().optional(), settings: z.object({ cron: z.string().max(128).default("") }).partial().nullable().optional() })
    .default({ kind: "Schedule" }),
  scope: z.object({ level: z.literal("project"), ref: z.number().int().min(1).max(2_147_483_647) }),
});
const runBody = z.object({ dry_run: z.boolean().default(false) }).passthrough();
const stopBody = z.object({ action: z.literal("stop") });
const pageQuery = z.object({ ...pagingQuery });

/** A policy body as the store takes it: every problem of the rules and the cron reported. */
function parsePolicy(body: unknown): { projectId: number; input: RetentionPolicyInput } {
  const p = parseInput(policyBody, body);
  const problems = retentionRuleProblems(p.rules);
  if (problems.length) throw new InvalidInputError(problems.join("; "));
  const cronText = p.trigger.settings?.cron ?? "";
  const cron = cronText === "" ? "" : validateCron(cronText);
  const rules: RetentionRule[] = p.rules.map((r, i) => ({
    id: i + 1,
    priority: r.priority,
    disabled: r.disabled,
    action: "retain",
    template: r.template as RetentionTemplate,
    params: r.template === "always" ? {} : { [r.template]: r.params![r.template] as number },
    tag_selectors: storedSelectors(r.tag_selectors),
    scope_selectors: { repository: storedSelectors(r.scope_selectors.repository) },
  }));
  return { projectId: p.scope.ref, input: { algorithm: "or", rules, cron } };
}

/** Harbor's `RetentionExecution`. */
function executionView(e: Execution) {
  return {
    id: Number(e.id),
    policy_id: Number(e.vendorId),
    start_time: e.startTime.toISOString(),
    end_time: e.endTime?.toISOString() ?? "",
    status: e.status,
    status_text: e.statusMessage,
    trigger: e.trigger,
    dry_run: (e.extraAttrs as { dry_run?: boolean }).dry_run === true,
  };
}

/** Harbor's `RetentionExecutionTask`. */
function taskView(t: Task) {
  const a = t.extraAttrs as { repository?: string; total?: number; retained?: number };
  return {
    id: Number(t.id),
    execution_id: Number(t.executionId),
    repository: a.repository ?? "",
    job_id: `retention-task-${t.id}`,
    status: t.status,
    status_code: 0,
    status_revision: t.runCount,
    start_time: t.startTime?.toISOString() ?? "",
    end_time: t.endTime?.toISOString() ?? "",
    total: a.total ?? 0,
    retained: a.retained ?? 0,
  };
}

export interface RetentionRoutesDeps {
  projects: ProjectStore;
  access: AccessControl;
  policies: RetentionPolicyStore;
  executions: RetentionExecutionService;
}

export function retentionRoutes(deps: RetentionRoutesDeps): Router {
  const { projects, access, policies, executions } = deps;
  const router = Router();
  const base = "/api/v2.0/retentions";
  const policyId = (req: Request) => parseParam(req, "id", idParam);
  const executionId = (req: Request) => parseParam(req, "eid", bigIdParam);

  /** The policy named by the path and its project, once the caller may do `action` on it. */
  async function policyFor(req: Request, res: Response, action: string): Promise<{ policy: RetentionPolicy; project: Project }> {
    if (!principalOf(res)) throw new UnauthenticatedError();
    const policy = await policies.get(policyId(req));
    const project = await projects.get(policy.projectId);
    await access.require(principalOf(res), project, "tag-retention", action);
    return { policy, project };
  }

  router.get(`${base}/metadatas`, (_req, res) => {
    if (!principalOf(res)) throw new UnauthenticatedError();
    res.json(retentionMetadata());
  });

  router.post(base, async (req, res) => {
    const { projectId, input } = parsePolicy(req.body);
    const project = await projects.get(projectId);
    await access.require(principalOf(res), project, "tag-retention", "create");
    const policy = await policies.create(project, input, auditActor(principalOf(res)));
    res.setHeader("Location", `${base}/${policy.id}`);
    res.status(201).end();
  });

  router.get(`${base}/:id`, async (req, res) => {
    const { policy } = await policyFor(req, res, "read");
    res.json(retentionPolicyView(policy));
  });

  router.put(`${base}/:id`, async (req, res) => {
    const { policy, project } = await policyFor(req, res, "update");
    const { projectId, input } = parsePolicy(req.body);
    if (projectId !== project.id) throw new InvalidInputError("scope.ref cannot change: a policy belongs to its project");
    await policies.update(project, policy, input, auditActor(principalOf(res)));
    res.status(200).end();
  });

  router.delete(`${base}/:id`, async (req, res) => {
    const { policy, project } = await policyFor(req, res, "delete");
    await policies.delete(project, policy, auditActor(principalOf(res)));
    res.status(200).end();
  });

  router.post(`${base}/:id/executions`, async (req, res) => {
    const { policy } = await policyFor(req, res, "operate");
    const { dry_run } = parseInput(runBody, req.body ?? {});
    const id = await executions.start(policy, dry_run, auditActor(principalOf(res)));
    res.setHeader("Location", `${base}/${policy.id}/executions/${id}`);
    res.status(201).end();
  });

  router.get(`${base}/:id/executions`, async (req, res) => {
    const { policy } = await policyFor(req, res, "list");
    const page = paging(parseInput(pageQuery, req.query));
    const { total, items } = await executions.list(policy.id, page);
    setPageHeaders(req, res, page, total);
    res.json(items.map(executionView));
  });

  router.patch(`${base}/:id/executions/:eid`, async (req, res) => {
    const { policy } = await policyFor(req, res, "operate");
    parseInput(stopBody, req.body);
    await executions.stop(policy, executionId(req), auditActor(principalOf(res)));
    res.status(200).end();
  });

  router.get(`${base}/:id/executions/:eid/tasks`, async (req, res) => {
    const { policy } = await policyFor(req, res, "list");
    const page = paging(parseInput(pageQuery, req.query));
    const { total, items } = await executions.tasks(policy.id, executionId(req), page);
    setPageHeaders(req, res, page, total);
    res.json(items.map(taskView));
  });

  router.get(`${base}/:id/executions/:eid/tasks/:tid`, async (req, res) => {
    const { policy } = await policyFor(req, res, "read");
    const task = await executions.task(policy.id, executionId(req), parseParam(req, "tid", bigIdParam));
    res.type("text/plain").send(task.log);
  });

  return router;
}
