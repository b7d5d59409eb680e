/**
 * Garbage collection as core manages it: the run history (`gc_runs`, written by registry-store's
 * `createGcRun` and executed by jobservice) and the schedule (`system_schedules` row `gc`). Nothing
 * here talks to Redis: a new run and a schedule change are each committed with their outbox event
 * (`gc.requested`, `gc.schedule.changed`), which jobservice turns into the `gc.run` job and the cron
 * job scheduler. docs/gc.md.
 */
import type { GcRun, PrismaClient, SystemSchedule } from "@berth/db";
import type { OutboxEventPayload, OutboxEventType } from "@berth/queue/events";
import { validateCron } from "@berth/queue/cron";
import { createGcRun } from "@berth/registry-store";
import { NotFoundError } from "../errors.js";
import type { ListPage, Paging } from "../listing.js";

/** Harbor's 6-field crons for the predefined schedule types. */
export const SCHEDULE_CRONS = { Hourly: "0 0 * * * *", Daily: "0 0 0 * * *", Weekly: "0 0 0 * * 0" } as const;

/** Harbor's GC parameters (as the API and `system_schedules.parameters` spell them). */
export interface GcParameters {
  delete_untagged: boolean;
  dry_run: boolean;
  workers: number;
  time_window: number;
}

/** A schedule request: `Manual` runs now; `Schedule` is Harbor's older name of `Custom`. */
export interface GcScheduleInput {
  type: "Manual" | "Hourly" | "Daily" | "Weekly" | "Custom" | "None" | "Schedule";
  cron?: string | undefined;
  parameters: GcParameters;
}

export class GcService {
  constructor(private readonly db: PrismaClient) {}

  /** The stored schedule, or `null` when none was ever set. */
  schedule(): Promise<SystemSchedule | null> {
    return this.db.systemSchedule.findUnique({ where: { kind: "gc" } });
  }

  /** Runs, newest first, with the schedule's cron (Harbor shows it on scheduled runs). */
  async history(page: Paging): Promise<ListPage<GcRun> & { cron: string }> {
    const [total, items, schedule] = await Promise.all([
      this.db.gcRun.count(),
      this.db.gcRun.findMany({ orderBy: { id: "desc" }, skip: page.skip, take: page.take }),
      this.schedule(),
    ]);
    return { total, items, cron: schedule?.cron ?? "" };
  }

  async run(id: bigint): Promise<{ run: GcRun; cron: string }> {
    const [run, schedule] = await Promise.all([this.db.gcRun.findUnique({ where: { id } }), this.schedule()]);
    if (!run) throw new NotFoundError(`garbage collection ${id} not found`);
    return { run, cron: schedule?.cron ?? "" };
  }

  async log(id: bigint): Promise<string> {
    const row = await this.db.gcRun.findUnique({ where: { id }, select: { log: true } });
    if (!row) throw new NotFoundError(`garbage collection ${id} not found`);
    return row.log;
  }

  /**
   * `Manual` creates a run now (its id; a second while one is pending or running is
   * registry-store's `GcRunningError`); any other type stores the schedule with its
   * `gc.schedule.changed` event in one transaction. A `Custom` cron must pass the cron validator
   * every scheduler uses (`InvalidCronError` otherwise), so a schedule that cannot run is never stored.
   */
  async setSchedule(input: GcScheduleInput): Promise<{ runId?: bigint }> {
    const p = input.parameters;
    if (input.type === "Manual") {
      return { runId: await createGcRun(this.db, { dryRun: p.dry_run, deleteUntagged: p.delete_untagged, workers: p.workers, timeWindowHours: p.time_window }, "Manual") };
    }
    const type = input.type === "Schedule" ? "Custom" : input.type;
    const cron = type === "Custom" ? validateCron(input.cron ?? "") : type === "None" ? "" : SCHEDULE_CRONS[type];
    const data = { type, cron, parameters: { delete_untagged: p.delete_untagged, dry_run: p.dry_run, workers: p.workers, time_window: p.time_window } };
    const event: OutboxEventPayload<"gc.schedule.changed"> = { kind: "gc", type, cron };
    await this.db.$transaction([
      this.db.systemSchedule.upsert({ where: { kind: "gc" }, create: { kind: "gc", ...data }, update: data }),
      this.db.outboxEvent.create({ data: { type: "gc.schedule.changed" satisfies OutboxEventType, payload: event } }),
    ]);
    return {};
  }
}
