/**
 * Replication's outbox subscribers and schedules:
 * - `replication.requested` (an execution row core, a schedule or this file created) → the
 *   `replication.execute` job (job id per execution);
 * - `replication.policy.changed` → the policy's cron job scheduler re-synced
 *   (`scheduler:replication.scheduled:<policyId>`; all of them at start-up);
 * - registry events → event-based push replication: `tag.created` copies the tag, a by-digest
 *   `manifest.pushed` of a referrer copies it after its subject, and with `replicate_deletion`
 *   `manifest.deleted` / `tag.deleted` delete it on the destination. One execution per policy per
 *   event (the event id makes a retried fan-out idempotent), one task.
 */
import type { Prisma, PrismaClient } from "@berth/db";
import { ExecutionStore } from "@berth/executions";
import type { Logger } from "@berth/logger";
import { parseManifest, parseManifestReference } from "@berth/oci";
import { InvalidCronError, UnrecoverableError, type Job, type OutboxEventPayload, type OutboxEventType, type Queues, type ReplicationTrigger } from "@berth/queue";
import type { RegistryStore } from "@berth/registry-store";
import { compileFilters, REPLICATION_VENDOR_TYPE, rewriteRepository, type PolicyFilter } from "@berth/replication";
import { registryEventData, type EventSubscriber } from "../events/subscriber.js";
import { enqueueTasks } from "./execute.job.js";
import { executionJobId, resourceLabel, type ReplicationDeps, type TaskAttrs } from "./replication-deps.js";

export function replicationRequestedSubscriber(deps: { queues: Queues }): EventSubscriber {
  return {
    name: "replication-requested",
    types: ["replication.requested"],
    async handle(event) {
      const p = event.payload as Partial<OutboxEventPayload<"replication.requested">> | null;
      if (typeof p?.executionId !== "string" || !/^\d+$/.test(p.executionId)) throw new Error(`event ${event.eventId} has no executionId`);
      await deps.queues.enqueue("replication.execute", { executionId: p.executionId }, { jobId: executionJobId(p.executionId) });
    },
  };
}

export function replicationPolicySubscriber(deps: { db: PrismaClient; queues: Queues; logger: Logger }): EventSubscriber {
  return {
    name: "replication-policy",
    types: ["replication.policy.changed"],
    async handle(event) {
      const p = event.payload as Partial<OutboxEventPayload<"replication.policy.changed">> | null;
      if (typeof p?.policyId !== "number") throw new Error(`event ${event.eventId} has no policyId`);
      await syncReplicationSchedule(deps.db, deps.queues, p.policyId, deps.logger);
    },
  };
}

/** Mirrors one policy's trigger into its cron job scheduler (removed unless enabled and scheduled). */
export async function syncReplicationSchedule(db: PrismaClient, queues: Queues, policyId: number, logger: Logger): Promise<void> {
  const policy = await db.replicationPolicy.findUnique({ where: { id: policyId } });
  const key = String(policyId);
  if (!policy || !policy.enabled || policy.triggerType !== "scheduled" || !policy.cron) {
    await queues.unschedule("replication.scheduled", key);
    return;
  }
  try {
    await queues.scheduleCron("replication.scheduled", policy.cron, { policyId }, "UTC", key);
  } catch (err) {
    if (!(err instanceof InvalidCronError)) throw err;
    await queues.unschedule("replication.scheduled", key);
    logger.error(`replication policy ${policy.name}: schedule not set: ${err.message}`);
  }
}

/** Every policy's schedule, at start-up; schedulers of policies that are gone are removed. */
export async function syncReplicationSchedules(db: PrismaClient, queues: Queues, logger: Logger): Promise<void> {
  const policies = await db.replicationPolicy.findMany({ select: { id: true } });
  for (const p of policies) await syncReplicationSchedule(db, queues, p.id, logger);
  const known = new Set(policies.map((p) => String(p.id)));
  for (const key of await queues.schedulerKeys("replication.scheduled")) if (!known.has(key)) await queues.unschedule("replication.scheduled", key);
}

/** Creates an execution and its `replication.requested` event in one transaction; undefined when one is active and the policy wants one at a time. */
export async function requestExecution(db: PrismaClient, policy: { id: number; singleActiveReplication: boolean }, trigger: ReplicationTrigger): Promise<bigint | undefined> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('replication-policy'), ${policy.id}::int)`;
    if (policy.singleActiveReplication && (await ExecutionStore.hasActive(tx, REPLICATION_VENDOR_TYPE, BigInt(policy.id)))) return undefined;
    const id = await ExecutionStore.create(tx, { vendorType: REPLICATION_VENDOR_TYPE, vendorId: BigInt(policy.id), trigger, extraAttrs: {} });
    const payload: OutboxEventPayload<"replication.requested"> = { executionId: String(id), policyId: policy.id, trigger };
    await tx.outboxEvent.create({ data: { type: "replication.requested" satisfies OutboxEventType, payload } });
    return id;
  });
}

/** `replication.scheduled`: the policy's cron fired. */
export function replicationScheduledHandler(deps: { db: PrismaClient; logger: Logger }) {
  const log = deps.logger.child({ module: "replication" });
  return async (job: Job<{ policyId: number }>): Promise<{ executionId?: string; skipped?: string }> => {
    if (typeof job.data.policyId !== "number") throw new UnrecoverableError("no policyId");
    const policy = await deps.db.replicationPolicy.findUnique({ where: { id: job.data.policyId } });
    if (!policy || !policy.enabled || policy.triggerType !== "scheduled") return { skipped: "the policy is gone, disabled or no longer scheduled" };
    const id = await requestExecution(deps.db, policy, "SCHEDULE");
    if (id === undefined) {
      log.info("scheduled replication skipped: the previous execution is still active", { policy: policy.name });
      return { skipped: "single active replication: the previous execution is still active" };
    }
    return { executionId: String(id) };
  };
}

const TRIGGERING: readonly OutboxEventType[] = ["tag.created", "manifest.pushed", "manifest.deleted", "tag.deleted"];

/** Event-based push replication (see the file's comment). */
export function replicationTriggerSubscriber(deps: ReplicationDeps & { registry: RegistryStore }): EventSubscriber {
  const log = deps.logger.child({ module: "replication" });
  return {
    name: "replication-trigger",
    types: TRIGGERING,
    async handle(event) {
      const data = registryEventData(event);
      const deletion = event.type === "manifest.deleted" || event.type === "tag.deleted";
      if (event.type === "manifest.pushed") {
        // Tagged pushes come as tag.created too; an untagged push replicates only a referrer (it follows its subject).
        if (data.tag !== undefined || !(await isReferrer(deps.registry, data.repository, data.digest))) return;
      }
      const policies = await deps.db.replicationPolicy.findMany({ where: { enabled: true, triggerType: "event_based", srcRegistryId: null }, orderBy: { id: "asc" } });
      for (const policy of policies) {
        if (deletion && !policy.replicateDeletion) continue;
        const filters = compileFilters(policy.filters as unknown as PolicyFilter[]);
        if (!filters.repository(data.repository)) continue;
        if (data.tag !== undefined && !filters.tag(data.tag)) continue;
        if (filters.labels.length > 0 && !deletion && !filters.labelsSelect(await labelsOf(deps.registry, data.repository, data.digest))) continue;
        let dst: string;
        try {
          dst = rewriteRepository(data.repository, policy.destNamespace, policy.destNamespaceReplaceCount);
        } catch (err) {
          log.warn(`replication policy ${policy.name}: ${(err as Error).message}`);
          continue;
        }
        if (policy.singleActiveReplication && (await ExecutionStore.hasActive(deps.db, REPLICATION_VENDOR_TYPE, BigInt(policy.id)))) {
          log.info("event-based replication skipped: the previous execution is still active", { policy: policy.name, event: event.type });
          continue;
        }
        const artifacts = [{ tags: data.tag !== undefined ? [data.tag] : [], digest: data.digest }];
        const attrs: TaskAttrs = {
          policy_id: policy.id,
          operation: deletion ? "deletion" : "copy",
          resource_type: filters.resource,
          src_repository: data.repository,
          dst_repository: dst,
          artifacts,
          src_resource: resourceLabel(data.repository, artifacts),
          dst_resource: resourceLabel(dst, artifacts),
          bytes: 0,
        };
        const { pendingTaskIds } = await deps.executions.ensure({
          vendorType: REPLICATION_VENDOR_TYPE,
          vendorId: BigInt(policy.id),
          eventId: event.eventId,
          trigger: "EVENT_BASED",
          extraAttrs: { policy_name: policy.name, event_type: event.type, repository: data.repository, digest: data.digest, ...(data.tag !== undefined && { tag: data.tag }) },
          tasks: [attrs as unknown as Prisma.InputJsonObject],
        });
        await enqueueTasks(deps, pendingTaskIds);
      }
    },
  };
}

/** The label names of a local artifact ([] when it is gone). */
async function labelsOf(registry: RegistryStore, repository: string, digest: string): Promise<string[]> {
  try {
    return (await registry.artifacts.getArtifact(repository, digest)).labels.map((l) => l.name);
  } catch {
    return [];
  }
}

async function isReferrer(registry: RegistryStore, repository: string, digest: string): Promise<boolean> {
  try {
    const m = await registry.manifests.get(repository, parseManifestReference(digest));
    return parseManifest(m.payload, m.mediaType).subject !== undefined;
  } catch {
    return false;
  }
}
