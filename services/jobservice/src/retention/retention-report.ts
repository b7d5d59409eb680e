/** What a finished retention execution tells the outside: Harbor's `TAG_RETENTION` webhook `event_data`. */
import type { PrismaClient } from "@berth/db";
import type { OutboxEventPayload } from "@berth/queue";
import type { SubscribedEvent } from "../events/subscriber.js";

/** Harbor's retention `event_data` for the policy's project, or undefined when it is gone. */
export async function retentionWebhookData(db: PrismaClient, event: SubscribedEvent, externalUrl: string): Promise<{ projectId: number; eventData: Record<string, unknown>; operator: string } | undefined> {
  const p = event.payload as Partial<OutboxEventPayload<"retention.finished">> | null;
  if (typeof p?.executionId !== "string" || typeof p.policyId !== "number") throw new Error(`event ${event.eventId} (${event.type}) has no executionId/policyId`);
  const execution = await db.execution.findUnique({ where: { id: BigInt(p.executionId) }, include: { tasks: { select: { extraAttrs: true, log: true } } } });
  const policy = await db.retentionPolicy.findUnique({ where: { id: p.policyId } });
  if (!execution || !policy) return undefined;
  const project = await db.project.findUnique({ where: { id: policy.projectId }, select: { id: true, name: true } });
  if (!project) return undefined;
  let total = 0;
  let retained = 0;
  const deleted: { type: string; status: string; name_tag: string }[] = [];
  for (const t of execution.tasks) {
    const a = t.extraAttrs as { repository?: string; total?: number; retained?: number };
    total += a.total ?? 0;
    retained += a.retained ?? 0;
    for (const m of t.log.matchAll(/ (?:deleted|would delete) (sha256:[0-9a-f]+) \[([^\]]*)\]/g)) {
      deleted.push({ type: "image", status: "SUCCESS", name_tag: `${a.repository}@${m[1]} [${m[2]}]` });
    }
  }
  const attrs = execution.extraAttrs as { operator?: string; dry_run?: boolean };
  return {
    projectId: project.id,
    operator: attrs.operator ?? "system",
    eventData: {
      retention: {
        total,
        retained,
        href: `${externalUrl.replace(/\/+$/, "")}/api/v2.0/retentions/${policy.id}/executions/${execution.id}`,
        project_name: project.name,
        retention_policy_id: policy.id,
        execution_id: Number(execution.id),
        dry_run: attrs.dry_run === true,
        status: p.status,
        deleted_artifact: deleted,
      },
    },
  };
}
