/**
 * Retention policies (`retention_policies`, one per project): every write comes through here, in
 * one transaction with its audit row, the project's `retention_id` metadata and the
 * `retention.policy.changed` event (jobservice re-reads the schedule). docs/retention.md.
 */
import type { Prisma, PrismaClient, RetentionPolicy } from "@berth/db";
import type { OutboxEventPayload, OutboxEventType } from "@berth/queue/events";
import { defaultProxyCacheRule, type RetentionRule } from "@berth/retention";
import { AuditStore, type Actor } from "../audit/audit-store.js";
import { ConflictError, NotFoundError } from "../errors.js";

export interface RetentionPolicyInput {
  algorithm: "or";
  rules: RetentionRule[];
  /** Six-field cron, "" for manual runs only. */
  cron: string;
}

type Tx = Prisma.TransactionClient;

/** Harbor's `RetentionPolicy`. */
export function retentionPolicyView(p: RetentionPolicy) {
  return {
    id: p.id,
    algorithm: p.algorithm,
    rules: p.rules,
    trigger: { kind: "Schedule", references: {}, settings: { cron: p.cron } },
    scope: { level: "project", ref: p.projectId },
  };
}

async function changed(tx: Tx, policyId: number): Promise<void> {
  const payload: OutboxEventPayload<"retention.policy.changed"> = { policyId };
  await tx.outboxEvent.create({ data: { type: "retention.policy.changed" satisfies OutboxEventType, payload } });
}

/** Writes a project's policy and points its `retention_id` metadata at it (in `tx`). */
async function insertPolicy(tx: Tx, projectId: number, input: RetentionPolicyInput): Promise<RetentionPolicy> {
  if (await tx.retentionPolicy.findUnique({ where: { projectId }, select: { id: true } })) {
    throw new ConflictError("the project already has a retention policy; change it instead");
  }
  const policy = await tx.retentionPolicy.create({ data: { projectId, algorithm: input.algorithm, rules: input.rules as unknown as Prisma.InputJsonValue, cron: input.cron } });
  await tx.$executeRaw`UPDATE projects SET metadata = metadata || jsonb_build_object('retention_id', ${String(policy.id)}::text) WHERE id = ${projectId}`;
  await changed(tx, policy.id);
  return policy;
}

/**
 * Gives proxy-cache project `projectId` Harbor's default retention policy — keep what was pulled
 * within the last 7 days (`nDaysSinceLastPull`), every repository, tagged or not — in the
 * caller's transaction (project creation). Returns the policy's id.
 */
export async function createDefaultProxyCacheRetention(tx: Tx, projectId: number): Promise<number> {
  return (await insertPolicy(tx, projectId, { algorithm: "or", rules: [defaultProxyCacheRule()], cron: "" })).id;
}

export class RetentionPolicyStore {
  constructor(private readonly db: PrismaClient) {}

  async get(id: number): Promise<RetentionPolicy> {
    const policy = await this.db.retentionPolicy.findUnique({ where: { id } });
    if (!policy) throw new NotFoundError(`retention policy ${id} not found`);
    return policy;
  }

  async create(project: { id: number; name: string }, input: RetentionPolicyInput, actor: Actor): Promise<RetentionPolicy> {
    return this.db.$transaction(async (tx) => {
      // One writer per project, so two creates cannot both pass the check.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('retention-policy'), ${project.id}::int)`;
      const policy = await insertPolicy(tx, project.id, input);
      await AuditStore.write(tx, { ...actor, resource: `${project.name}/retention/${policy.id}`, resourceType: "tag-retention", operation: "create", projectId: project.id });
      return policy;
    });
  }

  async update(project: { id: number; name: string }, policy: RetentionPolicy, input: RetentionPolicyInput, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.retentionPolicy.update({ where: { id: policy.id }, data: { algorithm: input.algorithm, rules: input.rules as unknown as Prisma.InputJsonValue, cron: input.cron } });
      await changed(tx, policy.id);
      await AuditStore.write(tx, { ...actor, resource: `${project.name}/retention/${policy.id}`, resourceType: "tag-retention", operation: "update", projectId: project.id });
    });
  }

  async delete(project: { id: number; name: string }, policy: RetentionPolicy, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.retentionPolicy.delete({ where: { id: policy.id } });
      await tx.$executeRaw`UPDATE projects SET metadata = metadata - 'retention_id' WHERE id = ${project.id}`;
      await changed(tx, policy.id);
      await AuditStore.write(tx, { ...actor, resource: `${project.name}/retention/${policy.id}`, resourceType: "tag-retention", operation: "delete", projectId: project.id });
    });
  }
}
