/**
 * What a finished replication execution tells the outside: Harbor's `REPLICATION` webhook
 * `event_data` (per project of this Berth it copied from or into) and an audit entry.
 */
import { writeAuditLog } from "@berth/audit";
import type { PrismaClient } from "@berth/db";
import type { OutboxEventPayload } from "@berth/queue";
import type { EventSubscriber, SubscribedEvent } from "../events/subscriber.js";
import type { TaskAttrs } from "./replication-deps.js";

const HARBOR_JOB_STATUS: Record<string, string> = { Success: "Success", Error: "Failed", Stopped: "Stopped" };

function payloadOf(event: SubscribedEvent): OutboxEventPayload<"replication.finished"> {
  const p = event.payload as Partial<OutboxEventPayload<"replication.finished">> | null;
  if (typeof p?.executionId !== "string" || typeof p.policyId !== "number") throw new Error(`event ${event.eventId} (${event.type}) has no executionId/policyId`);
  return p as OutboxEventPayload<"replication.finished">;
}

/** Harbor's replication `event_data`, once per local project the execution touched. */
export async function replicationWebhookData(db: PrismaClient, event: SubscribedEvent): Promise<{ projectId: number; eventData: Record<string, unknown>; operator: string }[]> {
  const p = payloadOf(event);
  const execution = await db.execution.findUnique({ where: { id: BigInt(p.executionId) }, include: { tasks: { select: { status: true, extraAttrs: true } } } });
  const policy = await db.replicationPolicy.findUnique({ where: { id: p.policyId }, include: { srcRegistry: true, destRegistry: true } });
  if (!execution || !policy) return [];
  const push = policy.srcRegistryId === null;
  const side = (r: typeof policy.srcRegistry, namespace: string) =>
    r ? { registry_name: r.name, registry_type: r.type, endpoint: r.url, namespace } : { registry_name: "Local", registry_type: "berth", endpoint: "", namespace };
  const byProject = new Map<string, { ok: TaskAttrs[]; failed: TaskAttrs[] }>();
  for (const t of execution.tasks) {
    const a = t.extraAttrs as unknown as TaskAttrs;
    const local = push ? a.src_repository : a.dst_repository;
    if (!local) continue;
    const project = local.split("/")[0]!;
    const entry = byProject.get(project) ?? { ok: [], failed: [] };
    (t.status === "Success" ? entry.ok : entry.failed).push(a);
    byProject.set(project, entry);
  }
  const projects = await db.project.findMany({ where: { name: { in: [...byProject.keys()] } }, select: { id: true, name: true } });
  const operator = (execution.extraAttrs as { operator?: string }).operator ?? policy.creator;
  const artifact = (a: TaskAttrs, status: string) => ({ type: a.resource_type, status, name_tag: `${a.src_resource} [${a.artifacts.length} item(s) in total]` });
  return projects.map((project) => {
    const entry = byProject.get(project.name)!;
    return {
      projectId: project.id,
      operator,
      eventData: {
        replication: {
          job_status: HARBOR_JOB_STATUS[p.status] ?? p.status,
          artifact_type: "image",
          authentication_type: "basic",
          override_mode: policy.override,
          trigger_type: p.trigger,
          policy_creator: policy.creator,
          execution_timestamp: Math.floor(execution.startTime.getTime() / 1000),
          src_resource: side(policy.srcRegistry, push ? project.name : ""),
          dest_resource: side(policy.destRegistry, push ? policy.destNamespace : project.name),
          successful_artifact: entry.ok.map((a) => artifact(a, "Success")),
          failed_artifact: entry.failed.map((a) => artifact(a, "Failed")),
        },
      },
    };
  });
}

/** An audit entry per finished execution (who started it, how it ended). */
export function replicationAuditSubscriber(db: PrismaClient): EventSubscriber {
  return {
    name: "replication-audit",
    types: ["replication.finished"],
    async handle(event) {
      const p = payloadOf(event);
      const execution = await db.execution.findUnique({ where: { id: BigInt(p.executionId) }, select: { extraAttrs: true, statusMessage: true } });
      const attrs = (execution?.extraAttrs ?? {}) as { operator?: string; policy_name?: string };
      await writeAuditLog(db, {
        operator: attrs.operator ?? "system",
        operatorType: attrs.operator ? "user" : "system",
        resource: `replication/${attrs.policy_name ?? p.policyId}/execution/${p.executionId}`,
        resourceType: "replication",
        operation: "finish",
        result: p.status === "Success" ? "success" : "failure",
        detail: { status: p.status, trigger: p.trigger, event_id: event.eventId, ...(execution?.statusMessage && { message: execution.statusMessage }) },
        opTime: event.createdAt,
        // A redelivered event adds no second row.
        eventId: event.eventId,
      });
    },
  };
}
