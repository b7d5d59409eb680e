/**
 * Tag retention's jobs and subscribers (docs/retention.md):
 * - `retention.requested` (an execution row core or a schedule created) → `retention.execute`
 *   (job id per execution), which creates one task per repository of the project in the
 *   policy's scope, then works through the tasks that have not finished, each claimed under its
 *   session lock (a retried or redelivered job continues where the last one stopped);
 * - `retention.policy.changed` → the policy's cron job scheduler re-synced
 *   (`scheduler:retention.scheduled:<policyId>`; all of them at start-up);
 * - `retention.scheduled` → a new execution (skipped while one is active).
 */
import type { PrismaClient } from "@berth/db";
import { ExecutionStore } from "@berth/executions";
import type { Logger } from "@berth/logger";
import { InvalidCronError, UnrecoverableError, type Job, type OutboxEventPayload, type OutboxEventType, type Queues } from "@berth/queue";
import type { RegistryStore } from "@berth/registry-store";
import { RETENTION_VENDOR_TYPE, ruleAppliesTo, type RetentionRule } from "@berth/retention";
import type { EventSubscriber } from "../events/subscriber.js";
import { executionToRun } from "../executions/execution-store.js";
import { runRepository } from "./retention-run.js";

export interface RetentionDeps {
  db: PrismaClient;
  executions: ExecutionStore;
  queues: Queues;
  logger: Logger;
  registry: RegistryStore;
}

export const retentionExecutionJobId = (id: bigint | string) => `retention-execution-${id}`;

export function retentionRequestedSubscriber(deps: { queues: Queues }): EventSubscriber {
  return {
    name: "retention-requested",
    types: ["retention.requested"],
    async handle(event) {
      const p = event.payload as Partial<OutboxEventPayload<"retention.requested">> | null;
      if (typeof p?.executionId !== "string" || !/^\d+$/.test(p.executionId)) throw new Error(`event ${event.eventId} has no executionId`);
      await deps.queues.enqueue("retention.execute", { executionId: p.executionId }, { jobId: retentionExecutionJobId(p.executionId) });
    },
  };
}

export function retentionPolicySubscriber(deps: { db: PrismaClient; queues: Queues; logger: Logger }): EventSubscriber {
  return {
    name: "retention-policy",
    types: ["retention.policy.changed"],
    async handle(event) {
      const p = event.payload as Partial<OutboxEventPayload<"retention.policy.changed">> | null;
      if (typeof p?.policyId !== "number") throw new Error(`event ${event.eventId} has no policyId`);
      await syncRetentionSchedule(deps.db, deps.queues, p.policyId, deps.logger);
    },
  };
}

/** Mirrors one policy's cron into its job scheduler (removed when the policy is gone or has none). */
export async function syncRetentionSchedule(db: PrismaClient, queues: Queues, policyId: number, logger: Logger): Promise<void> {
  const policy = await db.retentionPolicy.findUnique({ where: { id: policyId } });
  const key = String(policyId);
  if (!policy || !policy.cron) return void (await queues.unschedule("retention.scheduled", key));
  try {
    await queues.scheduleCron("retention.scheduled", policy.cron, { policyId }, "UTC", key);
  } catch (err) {
    if (!(err instanceof InvalidCronError)) throw err;
    await queues.unschedule("retention.scheduled", key);
    logger.error(`retention policy ${policyId}: schedule not set: ${err.message}`);
  }
}

/** Every policy's schedule, at start-up; schedulers of policies that are gone are removed. */
export async function syncRetentionSchedules(db: PrismaClient, queues: Queues, logger: Logger): Promise<void> {
  const policies = await db.retentionPolicy.findMany({ select: { id: true } });
  for (const p of policies) await syncRetentionSchedule(db, queues, p.id, logger);
  const known = new Set(policies.map((p) => String(p.id)));
  for (const key of await queues.schedulerKeys("retention.scheduled")) if (!known.has(key)) await queues.unschedule("retention.scheduled", key);
}

/** `retention.scheduled`: the policy's cron fired. */
export function retentionScheduledHandler(deps: { db: PrismaClient; logger: Logger }) {
  return async (job: Job<{ policyId: number }>): Promise<{ executionId?: string; skipped?: string }> => {
    if (typeof job.data.policyId !== "number") throw new UnrecoverableError("no policyId");
    const policyId = job.data.policyId;
    const policy = await deps.db.retentionPolicy.findUnique({ where: { id: policyId } });
    if (!policy || !policy.cron) return { skipped: "the policy is gone or no longer scheduled" };
    const id = await deps.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('retention-policy-run'), ${policyId}::int)`;
      if (await ExecutionStore.hasActive(tx, RETENTION_VENDOR_TYPE, BigInt(policyId))) return undefined;
      const id = await ExecutionStore.create(tx, { vendorType: RETENTION_VENDOR_TYPE, vendorId: BigInt(policyId), trigger: "SCHEDULE", extraAttrs: { dry_run: false } });
      const payload: OutboxEventPayload<"retention.requested"> = { executionId: String(id), policyId, dryRun: false };
      await tx.outboxEvent.create({ data: { type: "retention.requested" satisfies OutboxEventType, payload } });
      return id;
    });
    if (id === undefined) {
      deps.logger.info("scheduled retention skipped: the previous execution is still active", { policyId });
      return { skipped: "the previous execution is still active" };
    }
    return { executionId: String(id) };
  };
}

/** Every repository name of project `projectName`. */
async function repositoriesOf(registry: RegistryStore, projectName: string): Promise<string[]> {
  const names: string[] = [];
  for (let skip = 0; ; skip += 100) {
    const { items } = await registry.artifacts.listRepositories(projectName, { skip, take: 100 });
    names.push(...items.map((r) => r.name));
    if (items.length < 100) return names;
  }
}

/** `retention.execute`: see the file's comment. */
export function retentionExecuteHandler(deps: RetentionDeps) {
  const log = deps.logger.child({ module: "retention" });
  return async (job: Job<{ executionId: string }>): Promise<{ tasks: number } | { skipped: string }> => {
    const opened = await executionToRun(deps.executions, job.data.executionId, "retention");
    if ("skipped" in opened) return opened;
    const { id, execution } = opened;
    const policy = await deps.db.retentionPolicy.findUnique({ where: { id: Number(execution.vendorId) } });
    if (!policy) {
      await deps.executions.finish(id, "Error", "the retention policy was deleted");
      return { skipped: "policy deleted" };
    }
    const rules = policy.rules as unknown as RetentionRule[];
    const dryRun = (execution.extraAttrs as { dry_run?: boolean }).dry_run === true;
    let tasks = await deps.db.task.findMany({ where: { executionId: id }, orderBy: { id: "asc" } });
    if (tasks.length === 0) {
      if (execution.stopRequestedAt) {
        await deps.executions.finish(id, "Stopped", "stopped before it started");
        return { skipped: "stopped" };
      }
      await deps.executions.markRunning(id);
      const project = await deps.db.project.findUnique({ where: { id: policy.projectId } });
      if (!project) {
        await deps.executions.finish(id, "Error", "the project was deleted");
        return { skipped: "project deleted" };
      }
      const inScope = (await repositoriesOf(deps.registry, project.name)).filter((r) => rules.some((rule) => ruleAppliesTo(rule, r.slice(project.name.length + 1))));
      if (inScope.length === 0) {
        await deps.executions.finish(id, "Success", "no repository is in the policy's scope");
        return { tasks: 0 };
      }
      await deps.executions.addTasks(id, inScope.map((repository) => ({ repository, dry_run: dryRun, total: 0, retained: 0, deleted: 0 })));
      tasks = await deps.db.task.findMany({ where: { executionId: id }, orderBy: { id: "asc" } });
    }
    // One clock reading for the whole execution: every repository is judged at the same moment.
    const now = new Date();
    for (const task of tasks) {
      const claim = await deps.executions.claim(task.id);
      if (claim.kind === "busy") throw new Error(`task ${task.id} is being worked on elsewhere; retrying later`);
      if (claim.kind !== "claimed") continue;
      try {
        if ((await deps.executions.stopRequested([id])).length) {
          await deps.executions.stop(task.id, "stopped before it started");
          continue;
        }
        await deps.executions.startAttempt(claim.task);
        const repository = (claim.task.extraAttrs as { repository: string }).repository;
        try {
          const result = await runRepository({
            registry: deps.registry,
            rules,
            repository,
            dryRun,
            now,
            log: (line) => deps.executions.appendLog(task.id, line),
            stopRequested: async () => (await deps.executions.stopRequested([id])).length > 0,
          });
          await deps.executions.addToTaskCounter(task.id, "total", result.total);
          await deps.executions.addToTaskCounter(task.id, "retained", result.retained);
          await deps.executions.addToTaskCounter(task.id, "deleted", result.deleted);
          const summary = `${result.total} artifact(s): ${result.retained} retained, ${result.deleted} ${dryRun ? "would be deleted" : "deleted"}`;
          await deps.executions.finishAttempt(task.id, { status: result.stopped ? "Stopped" : "Success", message: summary, logLine: summary, final: true });
        } catch (err) {
          log.warn("retention task failed", { taskId: String(task.id), repository, err: (err as Error).message });
          await deps.executions.finishAttempt(task.id, { status: "Error", message: (err as Error).message, logLine: `failed: ${(err as Error).message}`, final: true });
        }
      } finally {
        await claim.release();
      }
    }
    log.info("retention execution done", { executionId: String(id), policyId: policy.id, tasks: tasks.length, dryRun });
    return { tasks: tasks.length };
  };
}
