import { Router } from "express";
import { z } from "zod";
import { ROLE_MATRIX, type RobotPermission } from "../auth/permissions.js";
import { principalOf } from "../auth/principal.js";
import { isSystemAccess, SYSTEM_NAMESPACE } from "../auth/system-permissions.js";
import { InvalidInputError } from "../errors.js";
import { onlyKeys, parseHarborQuery, type QueryTerm } from "../http/harbor-query.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { idParam, parseInput, parseParam } from "../http/parse-input.js";
import { parseSort, sortQuery } from "../http/sorting.js";
import { PROJECT_NAME } from "../projects/project-input.js";
import { isStrongPassword } from "../users/password.js";
import type { RobotService } from "./robot-service.js";
import { robotView } from "./robot-store.js";

const access = z.object({ resource: z.string().max(64), action: z.string().max(32), effect: z.enum(["allow"]).optional() });
/** A project permission's pairs are rows of the role matrix; a system permission's, of the system table (namespace `/`). */
const permission = z
  .object({ kind: z.enum(["project", "system"]), namespace: z.string().min(1).max(255), access: z.array(access).min(1).max(100) })
  .superRefine((p, ctx) => {
    if (p.kind === "system" && p.namespace !== SYSTEM_NAMESPACE) ctx.addIssue({ code: "custom", path: ["namespace"], message: `a system permission's namespace is "${SYSTEM_NAMESPACE}"` });
    p.access.forEach((a, i) => {
      const known = p.kind === "system" ? isSystemAccess(a.resource, a.action) : ROLE_MATRIX.has(`${a.resource}:${a.action}`);
      if (!known) ctx.addIssue({ code: "custom", path: ["access", i], message: `unknown ${p.kind} resource/action pair ${a.resource}:${a.action} (see docs/roles.md)` });
    });
  });
const duration = z
  .number()
  .int()
  .refine((d) => d === -1 || (d > 0 && d <= 36_500), "must be -1 (never expires) or 1–36500 days");
const secret = z.string().max(128).refine(isStrongPassword, "secret must be 8–128 characters with upper-case, lower-case and a digit");
const createBody = z.object({
  name: z.string().min(1).max(255).regex(PROJECT_NAME, "must be lower-case letters and digits separated by single '.', '_' or '-'"),
  description: z.string().max(1024).optional(),
  secret: secret.optional(),
  level: z.enum(["system", "project"]),
  disable: z.boolean().optional(),
  duration: duration.optional(),
  permissions: z.array(permission).min(1).max(100),
});
const updateBody = z.object({
  description: z.string().max(1024).optional(),
  disable: z.boolean().optional(),
  duration: duration.optional(),
  permissions: z.array(permission).min(1).max(100).optional(),
});
const secretBody = z.object({ secret: secret.optional() });
const listQuery = z.object({ ...pagingQuery, q: z.string().max(1024).optional(), sort: sortQuery });
const SORT = { id: "id", name: "name", creation_time: "createdAt", update_time: "updatedAt", expires_at: "expiresAt" } as const;

/** Harbor's robot `q` keys are case-insensitive (`Level`, `ProjectID`). */
function robotQuery(raw: string | undefined) {
  const q = new Map([...parseHarborQuery(raw)].map(([k, v]) => [k.toLowerCase(), v] as const));
  onlyKeys(q, ["level", "projectid", "project_id", "name"]);
  const exact = (key: string, term: QueryTerm | undefined) => {
    if (term && term.kind !== "exact") throw new InvalidInputError(`q ${key} takes an exact value`);
    return term?.value;
  };
  const levelValue = exact("Level", q.get("level"));
  if (levelValue !== undefined && levelValue !== "system" && levelValue !== "project") throw new InvalidInputError('q Level is "system" or "project"');
  const level: "system" | "project" | undefined = levelValue;
  const name = q.get("name");
  if (name && name.kind !== "exact" && name.kind !== "fuzzy") throw new InvalidInputError("q name takes name=x or name=~x");
  return {
    level,
    project: exact("ProjectID", q.get("projectid") ?? q.get("project_id")),
    name: name?.kind === "exact" ? { exact: name.value } : name?.kind === "fuzzy" ? { contains: name.value } : undefined,
  };
}

/** `/api/v2.0/robots…`: system robots (sysadmins) and project robots (projectAdmins). */
export function robotsRoutes(deps: { robots: RobotService }): Router {
  const { robots } = deps;
  const router = Router();

  router.post("/api/v2.0/robots", async (req, res) => {
    const body = parseInput(createBody, req.body);
    const { robot, secret: clear } = await robots.create(principalOf(res), {
      name: body.name,
      description: body.description ?? "",
      level: body.level,
      duration: body.duration ?? 30,
      disabled: body.disable ?? false,
      permissions: body.permissions as RobotPermission[],
      secret: body.secret,
    });
    res.setHeader("Location", `/api/v2.0/robots/${robot.id}`);
    res.status(201).json({
      id: robot.id,
      name: robot.name,
      secret: clear,
      creation_time: robot.createdAt.toISOString(),
      expires_at: robot.expiresAt ? Math.floor(robot.expiresAt.getTime() / 1000) : -1,
    });
  });

  router.get("/api/v2.0/robots", async (req, res) => {
    const query = parseInput(listQuery, req.query);
    const page = paging(query);
    const { total, items } = await robots.list(principalOf(res), robotQuery(query.q), page, parseSort(query.sort, SORT));
    setPageHeaders(req, res, page, total);
    res.json(items.map(robotView));
  });

  router.get("/api/v2.0/robots/:id", async (req, res) => {
    res.json(robotView(await robots.get(principalOf(res), parseParam(req, "id", idParam))));
  });

  router.put("/api/v2.0/robots/:id", async (req, res) => {
    const id = parseParam(req, "id", idParam);
    const body = parseInput(updateBody, req.body);
    await robots.update(principalOf(res), id, { description: body.description, disabled: body.disable, duration: body.duration, permissions: body.permissions as RobotPermission[] | undefined });
    res.status(200).end();
  });

  router.patch("/api/v2.0/robots/:id", async (req, res) => {
    const id = parseParam(req, "id", idParam);
    const body = parseInput(secretBody, req.body ?? {});
    res.json({ secret: await robots.refreshSecret(principalOf(res), id, body.secret) });
  });

  router.delete("/api/v2.0/robots/:id", async (req, res) => {
    await robots.delete(principalOf(res), parseParam(req, "id", idParam));
    res.status(200).end();
  });

  return router;
}
