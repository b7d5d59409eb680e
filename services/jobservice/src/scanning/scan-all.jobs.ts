/**
 * Scan-all (Harbor's): one `SCAN_ALL` execution, and a scan of every image artifact under it (its
 * reports carry the execution's id, which is what the metrics count). Started by core's API
 * (`scan_all.requested`) or by the schedule mirrored from `system_schedules` row `scan_all`.
 */
import type { PrismaClient } from "@berth/db";
import type { Logger } from "@berth/logger";
import { InvalidCronError, type Job, type OutboxEventPayload, type Queues } from "@berth/queue";
import { SBOM_REPORT_MIME, SCAN_ALL_VENDOR_TYPE, VULN_REPORT_MIME } from "@berth/scanning";
import type { EventSubscriber } from "../events/subscriber.js";
import { ExecutionStore } from "../executions/execution-store.js";
import { startScan } from "./scan.subscribers.js";

const IMAGE_CONFIGS = ["application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"];
const PAGE = 500;

/** `scan_all.run`: the execution, then a scan of each image (one in progress at a time per image). */
export function scanAllRunHandler(deps: { db: PrismaClient; queues: Queues; executions: ExecutionStore; logger: Logger }) {
  return async (job: Job<{ trigger: "Manual" | "Schedule"; operator: string; requestId: string }>) => {
    // One execution per request (a retried job finds its own), Pending until the fan-out begins.
    const eventId = job.data.requestId;
    const existing = await deps.db.execution.findUnique({ where: { vendorType_vendorId_eventId: { vendorType: SCAN_ALL_VENDOR_TYPE, vendorId: 0n, eventId } } });
    if (existing?.endTime) return { executionId: String(existing.id), already: existing.status };
    const executionId =
      existing?.id ??
      (await ExecutionStore.create(deps.db, {
        vendorType: SCAN_ALL_VENDOR_TYPE,
        vendorId: 0n,
        eventId,
        trigger: job.data.trigger === "Manual" ? "MANUAL" : "SCHEDULE",
        extraAttrs: { operator: job.data.operator },
      }));
    await deps.executions.markRunning(executionId);
    let started = 0;
    let lastId = 0n;
    for (;;) {
      // A stop asked for while the scans are being started (core's scanAll/stop) ends the fan-out.
      if ((await deps.executions.stopRequested([executionId])).length > 0) {
        await deps.executions.mergeAttrs(executionId, { scans: started });
        await deps.executions.finish(executionId, "Stopped", `stopped after starting ${started} scans`);
        return { executionId: String(executionId), started, stopped: true };
      }
      // Image manifests (their config says image) in projects that exist, in id order.
      const rows = await deps.db.$queryRaw<{ id: bigint; digest: string; repository: string; metadata: Record<string, string> }[]>`
        SELECT m.id, m.digest, r.name AS repository, p.metadata FROM manifests m
        JOIN repositories r ON r.id = m.repository_id
        JOIN projects p ON p.name = split_part(r.name, '/', 1)
        JOIN manifest_references c ON c.manifest_id = m.id AND c.kind = 'config'
        JOIN blobs b ON b.digest = c.digest
        WHERE m.id > ${lastId} AND m.artifact_type IS NULL AND m.media_type IN ('application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json')
          AND (b.media_type IS NULL OR b.media_type = ANY(${IMAGE_CONFIGS}))
        ORDER BY m.id LIMIT ${PAGE}`;
      for (const row of rows) {
        const mimeTypes = [VULN_REPORT_MIME, ...(row.metadata?.["auto_sbom_generation"] === "true" ? [SBOM_REPORT_MIME] : [])];
        if (await startScan(deps, { repository: row.repository, digest: row.digest, mimeTypes, trigger: job.data.trigger === "Manual" ? "MANUAL" : "SCHEDULE", executionId })) started++;
      }
      if (rows.length < PAGE) break;
      lastId = rows[rows.length - 1]!.id;
    }
    await deps.executions.mergeAttrs(executionId, { scans: started });
    await deps.executions.finish(executionId, "Success", `started ${started} scans`);
    deps.logger.info(`scan-all started ${started} scans`, { executionId: String(executionId) });
    return { executionId: String(executionId), started };
  };
}

/** `scan_all.requested` → `scan_all.run` (job id from the event, so a retried fan-out adds it once). */
export function scanAllRequestedSubscriber(deps: { queues: Queues }): EventSubscriber {
  return {
    name: "scan-all-requested",
    types: ["scan_all.requested"],
    async handle(event) {
      const p = (event.payload ?? {}) as Partial<OutboxEventPayload<"scan_all.requested">>;
      await deps.queues.enqueue("scan_all.run", { trigger: p.trigger === "Schedule" ? "Schedule" : "Manual", operator: p.operator ?? "", requestId: event.eventId }, { jobId: `scan-all-${event.eventId}` });
    },
  };
}

/** `scan_all.scheduled` (the cron fired) → `scan_all.run`. */
export function scanAllScheduledHandler(deps: { queues: Queues }) {
  return async (job: Job) => {
    const requestId = crypto.randomUUID();
    await deps.queues.enqueue("scan_all.run", { trigger: "Schedule", operator: "scheduler", requestId }, { jobId: `scan-all-${job.id ?? requestId}` });
    return { requestId };
  };
}

/** Mirrors `system_schedules` row `scan_all` into the `scan_all.scheduled` job scheduler (as GC's). */
export async function syncScanAllSchedule(db: PrismaClient, queues: Queues): Promise<{ cron: string | null; invalid?: string }> {
  const schedule = await db.systemSchedule.findUnique({ where: { kind: "scan_all" } });
  if (!schedule || schedule.type === "None" || schedule.type === "Manual" || !schedule.cron) {
    await queues.unschedule("scan_all.scheduled");
    return { cron: null };
  }
  try {
    await queues.scheduleCron("scan_all.scheduled", schedule.cron, {});
  } catch (err) {
    if (!(err instanceof InvalidCronError)) throw err;
    await queues.unschedule("scan_all.scheduled");
    return { cron: null, invalid: err.message };
  }
  return { cron: schedule.cron };
}

export function scanAllScheduleSubscriber(deps: { db: PrismaClient; queues: Queues; logger: Logger }): EventSubscriber {
  return {
    name: "scan-all-schedule",
    types: ["scan_all.schedule.changed"],
    async handle() {
      const { cron, invalid } = await syncScanAllSchedule(deps.db, deps.queues);
      if (invalid) deps.logger.error(`scan-all schedule not set: ${invalid}`);
      else deps.logger.info(cron ? "scan-all schedule set" : "scan-all schedule removed", { cron });
    },
  };
}
