/**
 * Turns an outbox event into webhook deliveries: for every enabled policy of the event's project
 * subscribed to its webhook event type, one execution, one task per target, one
 * `webhook.deliver` job per task (job id `task-<id>`, so a retried fan-out adds nothing twice).
 */
import type { Prisma, PrismaClient } from "@berth/db";
import type { OutboxEventType, Queues } from "@berth/queue";
import { OUTBOX_TO_WEBHOOK_EVENT, WEBHOOK_VENDOR_TYPE, type WebhookEventType, type WebhookTarget } from "@berth/webhooks";
import { replicationWebhookData } from "../replication/replication-report.js";
import { retentionWebhookData } from "../retention/retention-report.js";
import type { ExecutionStore } from "../executions/execution-store.js";
import { projectOf, registryEventData, type EventSubscriber, type SubscribedEvent } from "../events/subscriber.js";

/** Formats that only make sense for some events (Docker Hub only ever sends pushes). */
function targetWants(target: WebhookTarget, eventType: string): boolean {
  return target.payload_format !== "DockerHub" || eventType === "PUSH_ARTIFACT";
}

export function webhookSubscriber(deps: { db: PrismaClient; executions: ExecutionStore; queues: Queues; externalUrl: string }): EventSubscriber {
  const { db, executions, queues } = deps;
  return {
    name: "webhooks",
    types: Object.keys(OUTBOX_TO_WEBHOOK_EVENT) as OutboxEventType[],
    async handle(event, context) {
      const eventType = OUTBOX_TO_WEBHOOK_EVENT[event.type as OutboxEventType]!;
      // A replication concerns every project of this Berth it copied from or into.
      if (event.type === "replication.finished") {
        for (const r of await replicationWebhookData(db, event)) {
          await deliverTo(r.projectId, eventType, event, { event_type: eventType, event_id: event.eventId }, { event_data: r.eventData as Prisma.InputJsonObject, operator: r.operator });
        }
        return;
      }
      if (event.type === "retention.finished") {
        const r = await retentionWebhookData(db, event, deps.externalUrl);
        if (r) await deliverTo(r.projectId, eventType, event, { event_type: eventType, event_id: event.eventId }, { event_data: r.eventData as Prisma.InputJsonObject, operator: r.operator });
        return;
      }
      const data = registryEventData(event);
      const project = await context.project(projectOf(data.repository));
      if (!project) return;
      await deliverTo(project.id, eventType, event, { event_type: eventType, event_id: event.eventId, repository: data.repository, digest: data.digest, ...(data.tag !== undefined && { tag: data.tag }) });
    },
  };

  async function deliverTo(projectId: number, eventType: WebhookEventType, event: SubscribedEvent, extraAttrs: Prisma.InputJsonObject, taskAttrs: Prisma.InputJsonObject = {}): Promise<void> {
    const policies = await db.webhookPolicy.findMany({ where: { projectId, enabled: true, eventTypes: { has: eventType } }, orderBy: { id: "asc" } });
    for (const policy of policies) {
      const targets = (policy.targets as unknown as WebhookTarget[]).filter((t) => targetWants(t, eventType));
      if (targets.length === 0) continue;
      const { pendingTaskIds } = await executions.ensure({
        vendorType: WEBHOOK_VENDOR_TYPE,
        vendorId: policy.id,
        eventId: event.eventId,
        extraAttrs,
        // The target is copied into the task, so editing the policy later does not change what this delivery does.
        tasks: targets.map((target, index) => ({ target_index: index, event_type: eventType, target: target as unknown as Prisma.InputJsonObject, ...taskAttrs })),
      });
      if (pendingTaskIds.length) {
        await queues.enqueueBulk("webhook.deliver", pendingTaskIds.map((id) => ({ data: { taskId: Number(id) }, options: { jobId: `task-${id}` } })));
      }
    }
  }
}
