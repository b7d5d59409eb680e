/**
 * GC runs as rows of `gc_runs` (Harbor's GC history): created by core's API (manual) or by the
 * schedule, executed by jobservice's `gc.run` job through {@link executeGcRun}. One run at a time:
 * {@link createGcRun} refuses while another is Pending or Running (Harbor answers 409), under a
 * transaction-level advisory lock so two concurrent requests cannot both pass the check. A Running
 * row whose heartbeat (`updated_at`, refreshed while the log is flushed) is older than
 * {@link STALE_RUN_MS} belonged to a killed process and is closed as Error. Correctness never
 * depends on this: two collectors running at once are safe (every deletion re-checks under locks).
 */
import type { SqlDatabase } from "@berth/db/sql";
import type { OutboxEventPayload, OutboxEventType } from "@berth/queue/events";
import type { GarbageCollector, GcLog, GcParameters, GcReport } from "./garbage-collector.js";
import { countGcRun } from "./gc-metrics.js";

/** Advisory lock key serializing run creation ("berthgc"). */
const CREATE_LOCK_KEY = 0x62657274686763n;
/** A Running row without a heartbeat for this long is considered dead. */
export const STALE_RUN_MS = 10 * 60_000;
const HEARTBEAT_MS = 2_000;
/**
 * Lines about single things (a blob, a manifest, a file) a run's stored log keeps; beyond them
 * each step's summary line is preceded by how many were not listed (the counts are in the report).
 * A run over 100k orphans logged 12 MB, and every flush (every 2 s) rewrote the whole stored
 * value (PostgreSQL copies a value on update), megabytes at a time late in the run.
 */
export const GC_LOG_ITEM_LINES = 1_000;

/** Thrown by {@link createGcRun} when a run is pending or running. */
export class GcRunningError extends Error {
  constructor(readonly runId: bigint) {
    super(`a garbage collection (id ${runId}) is already pending or running`);
    this.name = "GcRunningError";
  }
}

/**
 * Creates a Pending run and, in the same transaction, the outbox event `gc.requested` (`{runId}` as
 * a string; jobservice's fan-out turns it into the `gc.run` job), so the run is executed even if
 * Redis is down when it is created.
 *
 * @throws {GcRunningError}
 */
export async function createGcRun(db: SqlDatabase, parameters: GcParameters, trigger: "Manual" | "Schedule"): Promise<bigint> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CREATE_LOCK_KEY})`;
    const staleSeconds = STALE_RUN_MS / 1000;
    await tx.$executeRaw`
      UPDATE gc_runs SET status = 'Error', finished_at = now(), log = log || 'run abandoned (no heartbeat)' || chr(10)
      WHERE status = 'Running' AND updated_at < now() - make_interval(secs => ${staleSeconds})`;
    const busy = await tx.$queryRaw<{ id: bigint }[]>`SELECT id FROM gc_runs WHERE status IN ('Pending', 'Running') ORDER BY id LIMIT 1`;
    if (busy[0] !== undefined) throw new GcRunningError(busy[0].id);
    const rows = await tx.$queryRaw<{ id: bigint }[]>`
      INSERT INTO gc_runs (status, trigger, dry_run, delete_untagged, time_window_hours, workers)
      VALUES ('Pending', ${trigger}, ${parameters.dryRun === true}, ${parameters.deleteUntagged === true},
              ${parameters.timeWindowHours ?? 2}, ${parameters.workers ?? 1})
      RETURNING id`;
    const id = rows[0]!.id;
    await tx.$executeRaw`INSERT INTO outbox_events (type, payload) VALUES (${"gc.requested" satisfies OutboxEventType}, ${JSON.stringify({ runId: String(id), trigger } satisfies OutboxEventPayload<"gc.requested">)}::jsonb)`;
    return id;
  });
}

/**
 * Runs the Pending run `runId` (no-op when it is not Pending: a retried or duplicate job), with
 * its log flushed to the row every few seconds (the first {@link GC_LOG_ITEM_LINES} lines about
 * single things, every step's summary) and the report, freed counts and final status written at
 * the end. Rethrows the collector's error after recording it.
 */
export async function executeGcRun(db: SqlDatabase, collector: GarbageCollector, runId: bigint): Promise<GcReport | undefined> {
  const claimed = await db.$queryRaw<{ dry_run: boolean; delete_untagged: boolean; time_window_hours: number; workers: number }[]>`
    UPDATE gc_runs SET status = 'Running', started_at = now(), updated_at = now()
    WHERE id = ${runId} AND status = 'Pending'
    RETURNING dry_run, delete_untagged, time_window_hours, workers`;
  const run = claimed[0];
  if (run === undefined) return undefined;
  let pending: string[] = [];
  const flush = async () => {
    const text = pending.length > 0 ? pending.join("\n") + "\n" : "";
    pending = [];
    await db.$executeRaw`UPDATE gc_runs SET log = log || ${text}, updated_at = now() WHERE id = ${runId}`;
  };
  const timer = setInterval(() => void flush().catch(() => {}), HEARTBEAT_MS);
  const push = (line: string) => pending.push(`${new Date().toISOString()} ${line}`);
  let items = 0;
  let unlisted = 0;
  const log: GcLog = (line, kind) => {
    if (kind === "item") {
      if (items++ < GC_LOG_ITEM_LINES) push(line);
      else unlisted++;
      return;
    }
    if (unlisted > 0) push(`(${unlisted} more lines like the above not listed)`);
    unlisted = 0;
    push(line);
  };
  const started = performance.now();
  try {
    const report = await collector.run(
      { dryRun: run.dry_run, deleteUntagged: run.delete_untagged, timeWindowHours: run.time_window_hours, workers: run.workers },
      log,
    );
    clearInterval(timer);
    await flush();
    await db.$executeRaw`
      UPDATE gc_runs SET status = 'Success', finished_at = now(), freed_blobs = ${report.blobsDeleted + report.orphanBlobFiles},
        freed_bytes = ${report.bytesFreed}, freed_manifests = ${report.manifestsDeleted}, report = ${JSON.stringify(report)}::jsonb
      WHERE id = ${runId}`;
    countGcRun("success", run.dry_run, (performance.now() - started) / 1000, report);
    return report;
  } catch (err) {
    countGcRun("error", run.dry_run, (performance.now() - started) / 1000);
    clearInterval(timer);
    log(`gc failed: ${(err as Error).message}`);
    await flush().catch(() => {});
    await db.$executeRaw`UPDATE gc_runs SET status = 'Error', finished_at = now() WHERE id = ${runId}`;
    throw err;
  }
}
