/**
 * Garbage collection in jobservice (docs/gc.md):
 * - `gc.requested` outbox events (written by registry-store's `createGcRun` with every new
 *   `gc_runs` row, from core's API or the schedule) become `gc.run` jobs, job id `gc-<runId>`;
 * - `gc.run` executes the Pending run with a {@link GarbageCollector} over this jobservice's
 *   database and storage (registry-store's `executeGcRun`);
 * - the `system_schedules` row `gc` is mirrored into a BullMQ cron job scheduler for
 *   `gc.scheduled` — at start-up and on every `gc.schedule.changed` outbox event (core writes it
 *   with the row); `gc.scheduled` creates a run with the stored parameters and hands it to `gc.run`.
 * The `gc` queue runs one job at a time; gc_runs additionally refuses a second Pending/Running run.
 */
import type { PrismaClient } from "@berth/db";
import type { Logger } from "@berth/logger";
import { InvalidCronError, UnrecoverableError, type Job, type OutboxEventPayload, type Queues } from "@berth/queue";
import { createGcRun, executeGcRun, GcRunningError, type GarbageCollector, type GcReport } from "@berth/registry-store";
import type { EventSubscriber } from "../events/subscriber.js";
import type { SessionLocks } from "../executions/session-locks.js";

/** The BullMQ job id of run `runId`'s `gc.run` job (BullMQ ignores a second add while it holds the job). */
export const gcJobId = (runId: bigint | string): string => `gc-${runId}`;

/** Harbor's GC parameters as core stores them in `system_schedules.parameters`. */
interface StoredParameters {
  delete_untagged?: boolean;
  dry_run?: boolean;
  workers?: number;
  time_window?: number;
}

export interface GcJobDeps {
  db: PrismaClient;
  queues: Queues;
  logger: Logger;
  collector: GarbageCollector;
  /** The sweep lock: one garbage collection at a time across every jobservice replica. */
  locks: SessionLocks;
}

/** `gc.run`: executes one Pending run. A run that no longer exists or is not Pending is a permanent failure. */
export function gcRunHandler(deps: GcJobDeps) {
  const log = deps.logger.child({ module: "gc" });
  return async (job: Job<{ runId: string }>): Promise<GcReport> => {
    let runId: bigint;
    try {
      runId = BigInt(job.data.runId);
    } catch {
      throw new UnrecoverableError(`invalid gc run id ${JSON.stringify(job.data.runId)}`);
    }
    const row = await deps.db.gcRun.findUnique({ where: { id: runId }, select: { status: true } });
    if (!row) throw new UnrecoverableError(`gc run ${runId} does not exist`);
    if (row.status !== "Pending") throw new UnrecoverableError(`gc run ${runId} is ${row.status}, not Pending`);
    // A second run (created once the first was given up as stale while its worker was only
    // paused) waits for the first's sweep instead of running beside it.
    const sweep = await deps.locks.lock("gcSweep", 0n);
    let report: GcReport | undefined;
    try {
      log.info("garbage collection started", { runId: String(runId) });
      report = await executeGcRun(deps.db, deps.collector, runId);
    } finally {
      await sweep.release();
    }
    // Claimed by another process between our read and executeGcRun's claim.
    if (report === undefined) throw new UnrecoverableError(`gc run ${runId} was no longer Pending`);
    log.info("garbage collection finished", { runId: String(runId), dryRun: report.dryRun, blobs: report.blobsDeleted, bytes: report.bytesFreed, manifests: report.manifestsDeleted });
    return report;
  };
}

/** `gc.scheduled`: the schedule fired; creates a run with the stored parameters and enqueues it. */
export function gcScheduledHandler(deps: Omit<GcJobDeps, "collector" | "locks">) {
  const log = deps.logger.child({ module: "gc" });
  return async (): Promise<{ runId?: string; skipped?: string }> => {
    const schedule = await deps.db.systemSchedule.findUnique({ where: { kind: "gc" } });
    if (!schedule || schedule.type === "None" || !schedule.cron) return { skipped: "no GC schedule" };
    const p = (schedule.parameters ?? {}) as StoredParameters;
    let runId: bigint;
    try {
      runId = await createGcRun(
        deps.db,
        { deleteUntagged: p.delete_untagged === true, dryRun: p.dry_run === true, workers: p.workers ?? 1, timeWindowHours: p.time_window ?? 2 },
        "Schedule",
      );
    } catch (err) {
      if (!(err instanceof GcRunningError)) throw err;
      log.info("scheduled garbage collection skipped: another run is pending or running", { runId: String(err.runId) });
      return { skipped: `run ${err.runId} is pending or running` };
    }
    // The run's gc.requested event would enqueue it too; the job id makes the two adds one job.
    await deps.queues.enqueue("gc.run", { runId: String(runId) }, { jobId: gcJobId(runId) });
    return { runId: String(runId) };
  };
}

/**
 * Mirrors the `gc` row of `system_schedules` into the `gc.scheduled` job scheduler: upserted
 * with the row's cron (6 fields, UTC), removed when the type is None. Re-reads the row, so the
 * order in which change events arrive does not matter. A cron the validator refuses (a row
 * written before core validated schedules) removes the scheduler and is reported in `invalid`,
 * rather than failing every retry.
 */
/** Serialises schedule syncs across processes (see {@link syncGcSchedule}). */
const SCHEDULE_SYNC_LOCK_KEY = 0x62657274686773n;

/**
 * Mirrors the stored GC schedule into the job scheduler. Syncs run one at a time across every
 * jobservice (a transaction-level advisory lock held from reading the row to writing Redis):
 * otherwise a sync that read the old row could write its scheduler after a newer sync removed it.
 */
export async function syncGcSchedule(db: PrismaClient, queues: Queues): Promise<{ cron: string | null; invalid?: string }> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SCHEDULE_SYNC_LOCK_KEY})`;
    const schedule = await tx.systemSchedule.findUnique({ where: { kind: "gc" } });
    if (!schedule || schedule.type === "None" || schedule.type === "Manual" || !schedule.cron) {
      await queues.unschedule("gc.scheduled");
      return { cron: null };
    }
    try {
      await queues.scheduleCron("gc.scheduled", schedule.cron, {});
    } catch (err) {
      if (!(err instanceof InvalidCronError)) throw err;
      await queues.unschedule("gc.scheduled");
      return { cron: null, invalid: err.message };
    }
    return { cron: schedule.cron };
  });
}

/** `gc.requested` → `gc.run` (job id `gc-<runId>`). */
export function gcRequestedSubscriber(deps: { queues: Queues }): EventSubscriber {
  return {
    name: "gc-requested",
    types: ["gc.requested"],
    async handle(event) {
      const runId = (event.payload as Partial<OutboxEventPayload<"gc.requested">> | null)?.runId;
      if (typeof runId !== "string" || !/^\d+$/.test(runId)) throw new Error(`event ${event.eventId} (${event.type}) has no runId`);
      await deps.queues.enqueue("gc.run", { runId }, { jobId: gcJobId(runId) });
    },
  };
}

/** `gc.schedule.changed` → re-sync the cron job scheduler. */
export function gcScheduleSubscriber(deps: { db: PrismaClient; queues: Queues; logger: Logger }): EventSubscriber {
  const log = deps.logger.child({ module: "gc" });
  return {
    name: "gc-schedule",
    types: ["gc.schedule.changed"],
    async handle() {
      const { cron, invalid } = await syncGcSchedule(deps.db, deps.queues);
      if (invalid) log.error(`GC schedule not set: ${invalid}; set a valid schedule through the API`);
      else log.info(cron ? "GC schedule set" : "GC schedule removed", { cron });
    },
  };
}
