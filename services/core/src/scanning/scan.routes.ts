/**
 * Harbor's scan endpoints: scan and stop one artifact, its scan log, its vulnerabilities addition,
 * scan-all's schedule, metrics and stop, and the system CVE allowlist. The work is
 * {@link ScanService}'s and {@link AllowlistStore}'s; this file parses and renders.
 */
import { Router, type Request } from "express";
import { z } from "zod";
import type { AccessControl } from "../auth/access-control.js";
import { requireAuthenticated, requireSysadmin } from "../auth/guards.js";
import { principalOf } from "../auth/principal.js";
import { InvalidInputError } from "../errors.js";
import { parseInput } from "../http/parse-input.js";
import { projectByName } from "../projects/project-param.js";
import type { ProjectStore } from "../projects/project-store.js";
import { repositoryNameParam } from "../repositories/repository-name.js";
import type { AllowlistStore } from "./allowlist-store.js";
import type { ScanService } from "./scan-service.js";

const scanBody = z.object({ scan_type: z.enum(["vulnerability", "sbom"]).default("vulnerability") }).passthrough();
const scheduleBody = z.object({
  schedule: z.object({ type: z.enum(["Manual", "Hourly", "Daily", "Weekly", "Custom", "None", "Schedule"]), cron: z.string().max(128).optional() }),
});
/** Harbor's `CVEAllowlist` body (system and project). */
export const allowlistBody = z.object({
  items: z.array(z.object({ cve_id: z.string().min(1).max(128) }).passthrough()).max(10_000).default([]),
  expires_at: z.number().int().min(0).max(253_402_300_799).nullish(),
}).passthrough();

export function scanRoutes(deps: { projects: ProjectStore; access: AccessControl; scans: ScanService; allowlists: AllowlistStore }): Router {
  const { projects, access, scans, allowlists } = deps;
  const router = Router();
  const base = "/api/v2.0/projects/:project/repositories/:repository/artifacts/:reference";

  async function context(req: Request) {
    const project = await projectByName(projects, req);
    const repository = repositoryNameParam(project.name, String(req.params["repository"]));
    const reference = String(req.params["reference"]);
    if (reference.length > 256) throw new InvalidInputError("reference must be a tag or a digest");
    return { project, repository, reference };
  }

  router.post(`${base}/scan`, async (req, res) => {
    const { project, repository, reference } = await context(req);
    const principal = principalOf(res);
    await access.require(principal, project, "scan", "create");
    const body = parseInput(scanBody, req.body ?? {});
    await scans.scan(project, repository, reference, body.scan_type, principal);
    res.status(202).end();
  });

  router.post(`${base}/scan/stop`, async (req, res) => {
    const { project, repository, reference } = await context(req);
    const principal = principalOf(res);
    await access.require(principal, project, "scan", "stop");
    await scans.stop(project, repository, reference, principal);
    res.status(202).end();
  });

  router.get(`${base}/scan/:report_id/log`, async (req, res) => {
    const { project, repository, reference } = await context(req);
    await access.require(principalOf(res), project, "scan", "read");
    res.type("text/plain").send(await scans.log(repository, reference, String(req.params["report_id"])));
  });

  router.get(`${base}/additions/vulnerabilities`, async (req, res) => {
    const { project, repository, reference } = await context(req);
    await access.require(principalOf(res), project, "scan", "read");
    res.json(await scans.vulnerabilities(repository, reference));
  });

  const sysadmin = requireSysadmin();
  router.get("/api/v2.0/system/scanAll/schedule", sysadmin, async (_req, res) => {
    const s = await scans.scanAllSchedule();
    res.json({ schedule: s ? { type: s.type, cron: s.cron } : { type: "None", cron: "" }, ...(s && { creation_time: s.createdAt.toISOString(), update_time: s.updatedAt.toISOString() }) });
  });
  for (const [method, status] of [["post", 201], ["put", 200]] as const) {
    router[method]("/api/v2.0/system/scanAll/schedule", sysadmin, async (req, res) => {
      const body = parseInput(scheduleBody, req.body);
      await scans.setScanAllSchedule(body.schedule, principalOf(res));
      res.status(status).end();
    });
  }
  router.post("/api/v2.0/system/scanAll/stop", sysadmin, async (_req, res) => {
    await scans.stopScanAll();
    res.status(202).end();
  });
  router.get("/api/v2.0/scans/all/metrics", sysadmin, async (_req, res) => {
    res.json(await scans.scanAllMetrics("Manual"));
  });
  router.get("/api/v2.0/scans/schedule/metrics", sysadmin, async (_req, res) => {
    res.json(await scans.scanAllMetrics("Schedule"));
  });

  router.get("/api/v2.0/system/CVEAllowlist", requireAuthenticated(), async (_req, res) => {
    res.json(await allowlists.getSystem());
  });
  router.put("/api/v2.0/system/CVEAllowlist", sysadmin, async (req, res) => {
    const body = parseInput(allowlistBody, req.body);
    await allowlists.setSystem({ items: body.items.map((i) => i.cve_id), expiresAt: body.expires_at ?? null });
    res.status(200).end();
  });

  return router;
}
