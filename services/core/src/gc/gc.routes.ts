/**
 * Harbor's GC endpoints (`/api/v2.0/system/gc…`, system administrators only): history, one run,
 * its log, and the schedule (`Manual` starts a run now; 409 while one is pending or running, as
 * Harbor answers). The work is {@link GcService}'s; this file parses and renders. docs/gc.md.
 */
import { Router } from "express";
import { z } from "zod";
import type { GcRun } from "@berth/db";
import { requireSystem } from "../auth/guards.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";
import { bigIdParam, parseInput, parseParam } from "../http/parse-input.js";
import type { GcService } from "./gc-service.js";

const parameters = z.object({
  delete_untagged: z.boolean().default(false),
  dry_run: z.boolean().default(false),
  workers: z.number().int().min(1).max(5).default(1),
  time_window: z.number().int().min(0).max(24 * 365).default(2),
});
const scheduleBody = z.object({
  schedule: z.object({
    type: z.enum(["Manual", "Hourly", "Daily", "Weekly", "Custom", "None", "Schedule"]),
    cron: z.string().max(128).optional(),
  }),
  parameters: parameters.default({ delete_untagged: false, dry_run: false, workers: 1, time_window: 2 }),
});
const listQuery = z.object({ ...pagingQuery });

/** Harbor's `GCHistory`. */
function historyView(r: GcRun, cron: string) {
  return {
    id: Number(r.id),
    job_name: "GARBAGE_COLLECTION",
    job_kind: r.trigger === "Manual" ? "MANUAL" : "SCHEDULE",
    job_parameters: JSON.stringify({ delete_untagged: r.deleteUntagged, dry_run: r.dryRun, workers: r.workers, time_window: r.timeWindowHours }),
    schedule: { type: r.trigger === "Manual" ? "Manual" : "Custom", cron: r.trigger === "Manual" ? "" : cron },
    job_status: r.status,
    deleted: false,
    creation_time: r.createdAt.toISOString(),
    update_time: r.updatedAt.toISOString(),
  };
}

export function gcRoutes(deps: { gc: GcService }): Router {
  const { gc } = deps;
  const router = Router();
  // System administrators, and system robots with the garbage-collection permission.
  const list = requireSystem("garbage-collection", "list");
  const read = requireSystem("garbage-collection", "read");

  router.get("/api/v2.0/system/gc", list, async (req, res) => {
    const page = paging(parseInput(listQuery, req.query));
    const { total, items, cron } = await gc.history(page);
    setPageHeaders(req, res, page, total);
    res.json(items.map((r) => historyView(r, cron)));
  });

  router.get("/api/v2.0/system/gc/schedule", read, async (_req, res) => {
    const s = await gc.schedule();
    if (!s) {
      res.json({ schedule: { type: "None", cron: "" }, parameters: {} });
      return;
    }
    res.json({
      creation_time: s.createdAt.toISOString(),
      update_time: s.updatedAt.toISOString(),
      schedule: { type: s.type, cron: s.cron },
      parameters: s.parameters,
    });
  });

  for (const [method, status] of [["post", 201], ["put", 200]] as const) {
    router[method]("/api/v2.0/system/gc/schedule", requireSystem("garbage-collection", method === "post" ? "create" : "update"), async (req, res) => {
      const body = parseInput(scheduleBody, req.body);
      const { runId } = await gc.setSchedule({ type: body.schedule.type, cron: body.schedule.cron, parameters: body.parameters });
      if (runId !== undefined) res.setHeader("Location", `/api/v2.0/system/gc/${runId}`);
      res.status(status).end();
    });
  }

  router.get("/api/v2.0/system/gc/:gc_id", read, async (req, res) => {
    const { run, cron } = await gc.run(parseParam(req, "gc_id", bigIdParam));
    res.json(historyView(run, cron));
  });

  router.get("/api/v2.0/system/gc/:gc_id/log", read, async (req, res) => {
    const log = await gc.log(parseParam(req, "gc_id", bigIdParam));
    res.type("text/plain").send(log);
  });

  return router;
}
