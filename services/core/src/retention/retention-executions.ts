/**
 * Retention executions as core's API sees them: started by hand (an execution row and its
 * `retention.requested` event in one transaction; jobservice runs it), stopped, listed, and their
 * per-repository tasks with logs. Written through `@berth/executions`, the one store.
 */
import type { Execution, PrismaClient, Task } from "@berth/db";
import { ExecutionStore, type StatusCounts } from "@berth/executions";
import type { OutboxEventPayload, OutboxEventType } from "@berth/queue/events";
import { RETENTION_VENDOR_TYPE, retentionFinalEvent } from "@berth/retention";
import { AuditStore, type Actor } from "../audit/audit-store.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { ListPage, Paging } from "../listing.js";

export class RetentionExecutionService {
  readonly #store: ExecutionStore;

  constructor(private readonly db: PrismaClient) {
    this.#store = new ExecutionStore(db, { finalEvent: retentionFinalEvent });
  }

  async list(policyId: number, page: Paging): Promise<ListPage<Execution>> {
    const where = { vendorType: RETENTION_VENDOR_TYPE, vendorId: BigInt(policyId) };
    const [total, items] = await this.db.$transaction([
      this.db.execution.count({ where }),
      this.db.execution.findMany({ where, orderBy: { id: "desc" }, skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async get(policyId: number, id: bigint): Promise<{ execution: Execution; counts: StatusCounts }> {
    const execution = await this.db.execution.findFirst({ where: { id, vendorType: RETENTION_VENDOR_TYPE, vendorId: BigInt(policyId) } });
    if (!execution) throw new NotFoundError(`retention execution ${id} not found`);
    return { execution, counts: (await this.#store.counts([id])).get(id)! };
  }

  /** Starts the policy now (a dry run only reports); 409 while another execution of it is active. */
  async start(policy: { id: number; projectId: number }, dryRun: boolean, actor: Actor): Promise<bigint> {
    return this.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('retention-policy-run'), ${policy.id}::int)`;
      if (await ExecutionStore.hasActive(tx, RETENTION_VENDOR_TYPE, BigInt(policy.id))) throw new ConflictError("a retention execution of this policy is already pending or running");
      const id = await ExecutionStore.create(tx, { vendorType: RETENTION_VENDOR_TYPE, vendorId: BigInt(policy.id), trigger: "MANUAL", extraAttrs: { dry_run: dryRun, operator: actor.operator } });
      const payload: OutboxEventPayload<"retention.requested"> = { executionId: String(id), policyId: policy.id, dryRun };
      await tx.outboxEvent.create({ data: { type: "retention.requested" satisfies OutboxEventType, payload } });
      await AuditStore.write(tx, { ...actor, resource: `retention/${policy.id}/execution/${id}`, resourceType: "tag-retention", operation: dryRun ? "dry-run" : "start", projectId: policy.projectId });
      return id;
    });
  }

  async stop(policy: { id: number; projectId: number }, id: bigint, actor: Actor): Promise<void> {
    await this.get(policy.id, id);
    await this.db.$transaction(async (tx) => {
      await ExecutionStore.requestStop(tx, id);
      await AuditStore.write(tx, { ...actor, resource: `retention/${policy.id}/execution/${id}`, resourceType: "tag-retention", operation: "stop", projectId: policy.projectId });
    });
    await this.#store.refreshExecution(id);
  }

  async tasks(policyId: number, executionId: bigint, page: Paging): Promise<ListPage<Task>> {
    await this.get(policyId, executionId);
    const where = { executionId };
    const [total, items] = await this.db.$transaction([
      this.db.task.count({ where }),
      this.db.task.findMany({ where, orderBy: { id: "asc" }, skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async task(policyId: number, executionId: bigint, taskId: bigint): Promise<Task> {
    await this.get(policyId, executionId);
    const task = await this.db.task.findFirst({ where: { id: taskId, executionId } });
    if (!task) throw new NotFoundError(`task ${taskId} not found`);
    return task;
  }
}
