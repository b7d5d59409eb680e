import { Router } from "express";
import { z } from "zod";
import type { AccessControl } from "../auth/access-control.js";
import { requireSystem } from "../auth/guards.js";
import { principalOf } from "../auth/principal.js";
import { onlyKeys, parseHarborQuery, textMatch, timeRange } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { parseInput } from "../http/parse-input.js";
import { parseSort, sortQuery } from "../http/sorting.js";
import { projectByName } from "../projects/project-param.js";
import type { ProjectStore } from "../projects/project-store.js";
import type { AuditFilter, AuditStore } from "./audit-store.js";

const listQuery = z.object({ ...pagingQuery, q: z.string().max(2048).optional(), sort: sortQuery });
const SORT = { op_time: "opTime", operation: "operation", resource: "resource", resource_type: "resourceType", username: "operator" } as const;

/** Harbor's `q` over audit logs: `operation`, `resource`, `resource_type`, `username` (or `operator`), `op_time=[from~to]`. */
export function auditFilter(q: string | undefined): AuditFilter {
  const terms = parseHarborQuery(q);
  onlyKeys(terms, ["operation", "resource", "resource_type", "username", "operator", "op_time"]);
  const opTime = terms.get("op_time");
  return {
    operation: textMatch(terms.get("operation"), "operation"),
    resource: textMatch(terms.get("resource"), "resource"),
    resourceType: textMatch(terms.get("resource_type"), "resource_type"),
    operator: textMatch(terms.get("username") ?? terms.get("operator"), "username"),
    ...(opTime && timeRange(opTime, "op_time")),
  };
}

/** `GET /api/v2.0/audit-logs` (sysadmins) and `GET /api/v2.0/projects/{project_name}/logs` (log list). */
export function auditRoutes(deps: { audit: AuditStore; projects: ProjectStore; access: AccessControl }): Router {
  const router = Router();

  router.get("/api/v2.0/audit-logs", requireSystem("audit-log", "list"), async (req, res) => {
    const query = parseInput(listQuery, req.query);
    const page = paging(query);
    const { total, items } = await deps.audit.list(auditFilter(query.q), page, parseSort(query.sort, SORT));
    setPageHeaders(req, res, page, total);
    res.json(items);
  });

  router.get("/api/v2.0/projects/:project/logs", async (req, res) => {
    const project = await projectByName(deps.projects, req);
    await deps.access.require(principalOf(res), project, "log", "list");
    const query = parseInput(listQuery, req.query);
    const page = paging(query);
    const { total, items } = await deps.audit.list({ ...auditFilter(query.q), projectId: project.id }, page, parseSort(query.sort, SORT));
    setPageHeaders(req, res, page, total);
    res.json(items);
  });

  return router;
}
