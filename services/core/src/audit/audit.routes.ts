import { Router } from "express";
import { z } from "zod";
import type { Prisma } from "@berth/db";
import type { AccessControl } from "../auth/access-control.js";
import { requireSysadmin } from "../auth/basic-auth.js";
import { principalOf } from "../auth/principal.js";
import { BadRequestError, parseInput } from "../errors.js";
import { parseHarborQuery, parseQueryTime, stringFilter } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import type { ProjectStore } from "../projects/project-store.js";
import type { AuditStore } from "./audit-store.js";

const listQuery = z.object({ ...pagingQuery, q: z.string().max(2048).optional(), sort: z.string().optional() });

/** Harbor's `q` over audit logs: `operation`, `resource`, `resource_type`, `username`, `op_time=[a~b]`. */
export function auditWhere(q: string | undefined): Prisma.AuditLogWhereInput {
  const where: Prisma.AuditLogWhereInput = {};
  for (const [key, term] of parseHarborQuery(q)) {
    switch (key) {
      case "operation":
        where.operation = stringFilter(term, key)!;
        break;
      case "resource":
        where.resource = stringFilter(term, key)!;
        break;
      case "resource_type":
        where.resourceType = stringFilter(term, key)!;
        break;
      case "username":
      case "operator":
        where.operator = stringFilter(term, key)!;
        break;
      case "op_time": {
        if (term.kind !== "range") throw new BadRequestError("op_time takes a range: op_time=[from~to]");
        where.opTime = {
          ...(term.min ? { gte: parseQueryTime(term.min, key) } : {}),
          ...(term.max ? { lte: parseQueryTime(term.max, key) } : {}),
        };
        break;
      }
      default:
        throw new BadRequestError(`unsupported query key "${key}" (operation, resource, resource_type, username, op_time)`);
    }
  }
  return where;
}

/** `GET /api/v2.0/audit-logs` (sysadmins) and `GET /api/v2.0/projects/{project_name}/logs` (log list). */
export function auditRoutes(deps: { audit: AuditStore; projects: ProjectStore; access: AccessControl }): Router {
  const router = Router();

  router.get("/api/v2.0/audit-logs", requireSysadmin(), async (req, res) => {
    const query = parseInput(listQuery, req.query);
    const page = paging(query);
    const { total, items } = await deps.audit.list(auditWhere(query.q), page);
    setPageHeaders(req, res, page, total);
    res.json(items);
  });

  router.get("/api/v2.0/projects/:project/logs", async (req, res) => {
    const project = await deps.projects.resolve(String(req.params["project"]), true);
    await deps.access.require(principalOf(res), project, "log", "list");
    const query = parseInput(listQuery, req.query);
    const page = paging(query);
    const { total, items } = await deps.audit.list({ AND: [auditWhere(query.q), { projectId: project.id }] }, page);
    setPageHeaders(req, res, page, total);
    res.json(items);
  });

  return router;
}
