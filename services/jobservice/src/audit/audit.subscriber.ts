/** Writes core's audit log rows for the registry's pushes, pulls and deletes. */
import { foldAuditLogCounts, operatorTypeOf, writeAuditLog } from "@berth/audit";
import { Folder } from "@berth/db/sql";
import type { PrismaClient } from "@berth/db";
import type { Logger } from "@berth/logger";
import type { OutboxEventType } from "@berth/queue";
import { projectOf, registryEventData, type EventSubscriber } from "../events/subscriber.js";

const OPERATIONS: { readonly [E in OutboxEventType]?: string } = {
  "manifest.pushed": "create",
  "manifest.pulled": "pull",
  "manifest.deleted": "delete",
  "scan.completed": "scan",
  "scan.failed": "scan",
  "scan.stopped": "stop_scan",
};

export function auditSubscriber(db: PrismaClient, logger?: Logger): EventSubscriber {
  // Each row adds a count row (`audit_log_counts`); they are folded a second after a burst. A
  // failed fold loses nothing (reads add the pending rows; the next fold takes them).
  const counts = new Folder({ fold: () => foldAuditLogCounts(db), onError: (err) => logger?.warn("could not fold audit log counts (retried after the next write)", { err }) });
  return {
    name: "audit",
    types: Object.keys(OPERATIONS) as OutboxEventType[],
    async handle(event, context) {
      const data = registryEventData(event);
      const project = await context.project(projectOf(data.repository));
      await writeAuditLog(db, {
        operator: data.actor ?? "anonymous",
        operatorType: operatorTypeOf(data.actor),
        resource: data.tag ? `${data.repository}:${data.tag}` : `${data.repository}@${data.digest}`,
        resourceType: "artifact",
        operation: OPERATIONS[event.type as OutboxEventType]!,
        ...(event.type === "scan.failed" && { result: "failure" as const }),
        projectId: project?.id ?? null,
        source: "registry",
        detail: {
          event_id: event.eventId,
          digest: data.digest,
          ...(data.tag !== undefined && { tag: data.tag }),
          ...(data.mediaType !== undefined && { media_type: data.mediaType }),
          ...(data.size !== undefined && { size: data.size }),
          ...(data.count !== undefined && { count: data.count }),
        },
        opTime: data.pulledAt ? new Date(data.pulledAt) : event.createdAt,
        // A fan-out run again for this event (a redelivered job) writes no second row.
        eventId: event.eventId,
      });
      counts.touched();
    },
  };
}
