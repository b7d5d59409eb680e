/**
 * Turns an outbox event into webhook deliveries: for every enabled policy of the event's project
 * subscribed to its webhook event type, one execution, one task per target, one
 * `webhook.deliver` job per task (job id `task-<id>`, so a retried fan-out adds nothing twice).
 */
import type { Prisma, PrismaClient } from "@berth/db";
import type { OutboxEventType, Queues } from "@berth/queue";
import { OUTBOX_TO_WEBHOOK_EVENT, WEBHOOK_VENDOR_TYPE, type WebhookTarget } from "@berth/webhooks";
import type { ExecutionStore } from "../executions/execution-store.js";
import { projectOf, registryEventData, type EventSubscriber } from "../events/subscriber.js";

/** Formats that only make sense for some events (Docker Hub only ever sends pushes). */
function targetWants(target: WebhookTarget, eventType: string): boolean {
  return target.payload_format !== "DockerHub" || eventType === "PUSH_ARTIFACT";
}

export function webhookSubscriber(deps: { db: PrismaClient; executions: ExecutionStore; queues: Queues }): EventSubscriber {
  const { db, executions, queues } = deps;
  return {
    name: "webhooks",
    types: Object.keys(OUTBOX_TO_WEBHOOK_EVENT) as OutboxEventType[],
    async handle(event) {
      const eventType = OUTBOX_TO_WEBHOOK_EVENT[event.type as OutboxEventType]!;
      const data = registryEventData(event);
      const project = await db.project.findUnique({ where: { name: projectOf(data.repository) }, select: { id: true } });
      if (!project) return;
      const policies = await db.webhookPolicy.findMany({ where: { projectId: project.id, enabled: true, eventTypes: { has: eventType } }, orderBy: { id: "asc" } });
      for (const policy of policies) {
        const targets = (policy.targets as unknown as WebhookTarget[]).filter((t) => targetWants(t, eventType));
        if (targets.length === 0) continue;
        const { pendingTaskIds } = await executions.ensure({
          vendorType: WEBHOOK_VENDOR_TYPE,
          vendorId: policy.id,
          eventId: event.eventId,
          extraAttrs: { event_type: eventType, event_id: event.eventId, repository: data.repository, digest: data.digest, ...(data.tag !== undefined && { tag: data.tag }) },
          // The target is copied into the task, so editing the policy later does not change what this delivery does.
          tasks: targets.map((target, index) => ({ target_index: index, event_type: eventType, target: target as unknown as Prisma.InputJsonObject })),
        });
        if (pendingTaskIds.length) {
          await queues.enqueueBulk("webhook.deliver", pendingTaskIds.map((id) => ({ data: { taskId: Number(id) }, options: { jobId: `task-${id}` } })));
        }
      }
    },
  };
}
