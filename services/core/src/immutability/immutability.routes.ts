/**
 * Harbor's tag immutability API: `/api/v2.0/projects/{project_name_or_id}/immutabletagrules`
 * (list, create) and `…/{immutable_rule_id}` (update — also how a rule is disabled — and
 * delete). Permissions from the role matrix (`immutable-tag`: projectAdmin and maintainer).
 */
import { Router, type Request } from "express";
import { z } from "zod";
import type { AccessControl } from "../auth/access-control.js";
import { auditActor, principalOf } from "../auth/principal.js";
import { InvalidInputError } from "../errors.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { idParam, parseInput, parseParam } from "../http/parse-input.js";
import { projectParam } from "../projects/project-param.js";
import type { ProjectStore } from "../projects/project-store.js";
import { immutableRuleView, type ImmutableRuleInput, type ImmutableRuleStore } from "./immutable-rule-store.js";
import { ruleSelectors, selectorProblems, storedSelectors } from "./rule-selectors.js";

const ruleBody = z.object({
  id: z.number().int().optional(),
  project_id: z.number().int().optional(),
  priority: z.number().int().min(0).max(1_000_000).default(0),
  disabled: z.boolean().default(false),
  action: z.literal("immutable").default("immutable"),
  template: z.literal("immutable_template").default("immutable_template"),
  params: z.record(z.string(), z.unknown()).optional(),
  ...ruleSelectors,
});
const listQuery = z.object({ ...pagingQuery, q: z.string().max(1024).optional(), sort: z.string().max(256).optional() });

/** A rule body as the store takes it; every selector problem reported. */
function parseRule(body: unknown): ImmutableRuleInput {
  const rule = parseInput(ruleBody, body);
  const problems = selectorProblems(rule, "");
  if (problems.length) throw new InvalidInputError(problems.join("; "));
  return { disabled: rule.disabled, priority: rule.priority, tagSelectors: storedSelectors(rule.tag_selectors), repositorySelectors: storedSelectors(rule.scope_selectors.repository) };
}

/** A PUT may carry only `disabled` (Harbor's UI toggles a rule so); anything else is a full rule. */
function parseUpdate(body: unknown): Partial<ImmutableRuleInput> {
  if (typeof body === "object" && body !== null && !("tag_selectors" in body) && !("scope_selectors" in body)) {
    const only = parseInput(z.object({ disabled: z.boolean(), id: z.number().int().optional(), priority: z.number().int().min(0).max(1_000_000).optional() }).passthrough(), body);
    return { disabled: only.disabled, ...(only.priority !== undefined && { priority: only.priority }) };
  }
  return parseRule(body);
}

export function immutabilityRoutes(deps: { projects: ProjectStore; access: AccessControl; rules: ImmutableRuleStore }): Router {
  const { projects, access, rules } = deps;
  const router = Router();
  const base = "/api/v2.0/projects/:project/immutabletagrules";
  const ruleId = (req: Request) => parseParam(req, "id", idParam);

  router.get(base, async (req, res) => {
    const project = await projectParam(projects, req);
    await access.require(principalOf(res), project, "immutable-tag", "list");
    const page = paging(parseInput(listQuery, req.query));
    const { total, items } = await rules.list(project.id, page);
    setPageHeaders(req, res, page, total);
    res.json(items.map(immutableRuleView));
  });

  router.post(base, async (req, res) => {
    const project = await projectParam(projects, req);
    await access.require(principalOf(res), project, "immutable-tag", "create");
    const rule = await rules.create(project, parseRule(req.body), auditActor(principalOf(res)));
    res.setHeader("Location", `/api/v2.0/projects/${project.name}/immutabletagrules/${rule.id}`);
    res.status(201).end();
  });

  router.put(`${base}/:id`, async (req, res) => {
    const project = await projectParam(projects, req);
    await access.require(principalOf(res), project, "immutable-tag", "update");
    const rule = await rules.get(project.id, ruleId(req));
    await rules.update(project, rule, parseUpdate(req.body), auditActor(principalOf(res)));
    res.status(200).end();
  });

  router.delete(`${base}/:id`, async (req, res) => {
    const project = await projectParam(projects, req);
    await access.require(principalOf(res), project, "immutable-tag", "delete");
    await rules.delete(project, await rules.get(project.id, ruleId(req)), auditActor(principalOf(res)));
    res.status(200).end();
  });

  return router;
}
