/**
 * Harbor's GC endpoints (`/api/v2.0/system/gc…`, system administrators only): history, one run,
 * its log, and the schedule (`Manual` starts a run now). Runs are rows of `gc_runs` executed by
 * jobservice's `gc.run` job (registry-store's `executeGcRun`); one at a time — a second manual
 * request while one is pending or running answers 409, as Harbor does. Nothing here talks to
 * Redis: a new run (registry-store's `createGcRun`) and a schedule change are each committed with
 * an outbox event (`gc.requested`, `gc.schedule.changed`) that jobservice's relay and fan-out turn
 * into the `gc.run` job and the cron job scheduler. docs/gc.md.
 */
import { Router } from "express";
import { z } from "zod";
import type { PrismaClient } from "@berth/db";
import { createGcRun, GcRunningError } from "@berth/registry-store";
import { requireSysadmin } from "../auth/basic-auth.js";
import { BadRequestError, ConflictError, NotFoundError, parseInput } from "../errors.js";
import { paging, pagingQuery, setPageHeaders } from "../http/paging.js";

/** Harbor's 6-field crons for the predefined schedule types. */
export const SCHEDULE_CRONS = { Hourly: "0 0 * * * *", Daily: "0 0 0 * * *", Weekly: "0 0 0 * * 0" } as const;
/** Outbox event written with every schedule change; jobservice re-reads the row and re-syncs its job scheduler. */
export const GC_SCHEDULE_CHANGED_EVENT = "gc.schedule.changed";

const parameters = z.object({
    delete_untagged: z.boolean().default(false),
    dry_run: z.boolean().default(false),
    workers: z.coerce.number().int().min(1).max(5).default(1),
    time_window: z.coerce.number().int().min(0).max(24 * 365).default(2),
  });
const scheduleBody = z.object({
  schedule: z.object({
    type: z.enum(["Manual", "Hourly", "Daily", "Weekly", "Custom", "None", "Schedule"]),
    cron: z.string().max(128).optional(),
  }),
  parameters: parameters.default({ delete_untagged: false, dry_run: false, workers: 1, time_window: 2 }),
});
const gcId = z.coerce.number().int().min(1);

interface RunRow {
  id: bigint;
  status: string;
  trigger: string;
  dryRun: boolean;
  deleteUntagged: boolean;
  timeWindowHours: number;
  workers: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Harbor's `GCHistory`. */
function historyView(r: RunRow, cron: string) {
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

export interface GcRoutesDeps {
  db: PrismaClient;
}

export function gcRoutes(deps: GcRoutesDeps): Router {
  const { db } = deps;
  const router = Router();
  const sysadmin = requireSysadmin();

  const scheduleRow = () => db.systemSchedule.findUnique({ where: { kind: "gc" } });

  router.get("/api/v2.0/system/gc", sysadmin, async (req, res) => {
    const page = paging(parseInput(z.object(pagingQuery), req.query));
    const [total, rows, schedule] = await Promise.all([
      db.gcRun.count(),
      db.gcRun.findMany({ orderBy: { id: "desc" }, skip: page.skip, take: page.take }),
      scheduleRow(),
    ]);
    setPageHeaders(req, res, page, total);
    res.json(rows.map((r) => historyView(r, schedule?.cron ?? "")));
  });

  router.get("/api/v2.0/system/gc/schedule", sysadmin, async (_req, res) => {
    const s = await scheduleRow();
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

  const putSchedule = async (body: z.output<typeof scheduleBody>): Promise<number | undefined> => {
    const p = body.parameters;
    if (body.schedule.type === "Manual") {
      try {
        return Number(await createGcRun(db, { dryRun: p.dry_run, deleteUntagged: p.delete_untagged, workers: p.workers, timeWindowHours: p.time_window }, "Manual"));
      } catch (err) {
        if (err instanceof GcRunningError) throw new ConflictError(err.message);
        throw err;
      }
    }
    const type = body.schedule.type === "Schedule" ? "Custom" : body.schedule.type;
    let cron = "";
    if (type === "Custom") {
      cron = (body.schedule.cron ?? "").trim();
      if (!/^(\S+\s+){5}\S+$/.test(cron)) throw new BadRequestError("a Custom schedule needs a 6-field cron");
    } else if (type !== "None") cron = SCHEDULE_CRONS[type];
    const data = { type, cron, parameters: { delete_untagged: p.delete_untagged, dry_run: p.dry_run, workers: p.workers, time_window: p.time_window } };
    await db.$transaction([
      db.systemSchedule.upsert({ where: { kind: "gc" }, create: { kind: "gc", ...data }, update: data }),
      db.outboxEvent.create({ data: { type: GC_SCHEDULE_CHANGED_EVENT, payload: { kind: "gc", type, cron } } }),
    ]);
    return undefined;
  };

  router.post("/api/v2.0/system/gc/schedule", sysadmin, async (req, res) => {
    const id = await putSchedule(parseInput(scheduleBody, req.body));
    if (id !== undefined) res.setHeader("Location", `/api/v2.0/system/gc/${id}`);
    res.status(201).end();
  });

  router.put("/api/v2.0/system/gc/schedule", sysadmin, async (req, res) => {
    const id = await putSchedule(parseInput(scheduleBody, req.body));
    if (id !== undefined) res.setHeader("Location", `/api/v2.0/system/gc/${id}`);
    res.status(200).end();
  });

  router.get("/api/v2.0/system/gc/:gc_id", sysadmin, async (req, res) => {
    const id = parseInput(gcId, req.params["gc_id"]);
    const [row, schedule] = await Promise.all([db.gcRun.findUnique({ where: { id: BigInt(id) } }), scheduleRow()]);
    if (!row) throw new NotFoundError(`garbage collection ${id} not found`);
    res.json(historyView(row, schedule?.cron ?? ""));
  });

  router.get("/api/v2.0/system/gc/:gc_id/log", sysadmin, async (req, res) => {
    const id = parseInput(gcId, req.params["gc_id"]);
    const row = await db.gcRun.findUnique({ where: { id: BigInt(id) }, select: { log: true } });
    if (!row) throw new NotFoundError(`garbage collection ${id} not found`);
    res.type("text/plain").send(row.log);
  });

  return router;
}
