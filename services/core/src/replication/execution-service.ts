/**
 * Replication executions as core's API sees them: started by hand (an execution row and its
 * `replication.requested` event in one transaction; jobservice runs it), stopped (pending tasks
 * stop at once, running ones abort within seconds), listed with their task counts, and their
 * tasks and logs. Executions and tasks are written through `@berth/executions`, the one store.
 */
import type { Execution, Prisma, PrismaClient, Task } from "@berth/db";
import { ExecutionStore, type StatusCounts } from "@berth/executions";
import type { OutboxEventPayload, OutboxEventType, ReplicationTrigger } from "@berth/queue/events";
import { REPLICATION_VENDOR_TYPE, replicationFinalEvent } from "@berth/replication";
import { AuditStore, type Actor } from "../audit/audit-store.js";
import { ConflictError, NotFoundError, PreconditionFailedError } from "../errors.js";
import type { ListPage, Paging } from "../listing.js";

export interface ExecutionFilter {
  policyId?: number | undefined;
  statuses?: string[] | undefined;
  trigger?: ReplicationTrigger | undefined;
}

export interface TaskFilter {
  statuses?: string[] | undefined;
  resourceType?: string | undefined;
}

export class ReplicationExecutionService {
  readonly #store: ExecutionStore;

  constructor(private readonly db: PrismaClient) {
    this.#store = new ExecutionStore(db, { finalEvent: replicationFinalEvent });
  }

  async list(filter: ExecutionFilter, page: Paging, order: "asc" | "desc" = "desc"): Promise<ListPage<Execution> & { counts: Map<bigint, StatusCounts> }> {
    const where: Prisma.ExecutionWhereInput = {
      vendorType: REPLICATION_VENDOR_TYPE,
      ...(filter.policyId !== undefined && { vendorId: BigInt(filter.policyId) }),
      ...(filter.statuses && { status: { in: filter.statuses } }),
      ...(filter.trigger && { trigger: filter.trigger }),
    };
    const [total, items] = await this.db.$transaction([
      this.db.execution.count({ where }),
      this.db.execution.findMany({ where, orderBy: { id: order }, skip: page.skip, take: page.take }),
    ]);
    return { total, items, counts: await this.#store.counts(items.map((e) => e.id)) };
  }

  async get(id: bigint): Promise<{ execution: Execution; counts: StatusCounts }> {
    const execution = await this.db.execution.findFirst({ where: { id, vendorType: REPLICATION_VENDOR_TYPE } });
    if (!execution) throw new NotFoundError(`replication execution ${id} not found`);
    return { execution, counts: (await this.#store.counts([id])).get(id)! };
  }

  /** Starts the policy now; 409 while it runs and it asks for a single active replication. */
  async start(policyId: number, actor: Actor): Promise<bigint> {
    return this.db.$transaction(async (tx) => {
      const policy = await tx.replicationPolicy.findUnique({ where: { id: policyId } });
      if (!policy) throw new NotFoundError(`replication policy ${policyId} not found`);
      if (!policy.enabled) throw new PreconditionFailedError(`replication policy ${policy.name} is disabled`);
      // One start at a time per policy: the check and the insert do not interleave.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('replication-policy'), ${policyId}::int)`;
      if (policy.singleActiveReplication && (await ExecutionStore.hasActive(tx, REPLICATION_VENDOR_TYPE, BigInt(policyId)))) {
        throw new ConflictError(`replication policy ${policy.name} already has a pending or running execution (single_active_replication)`);
      }
      const id = await ExecutionStore.create(tx, { vendorType: REPLICATION_VENDOR_TYPE, vendorId: BigInt(policyId), trigger: "MANUAL", extraAttrs: { operator: actor.operator } });
      const payload: OutboxEventPayload<"replication.requested"> = { executionId: String(id), policyId, trigger: "MANUAL" };
      await tx.outboxEvent.create({ data: { type: "replication.requested" satisfies OutboxEventType, payload } });
      await AuditStore.write(tx, { ...actor, resource: `replication/${policy.name}/execution/${id}`, resourceType: "replication", operation: "start" });
      return id;
    });
  }

  /** Asks the execution to stop (a no-op when it already finished). */
  async stop(id: bigint, actor: Actor): Promise<void> {
    const { execution } = await this.get(id);
    await this.db.$transaction(async (tx) => {
      await ExecutionStore.requestStop(tx, id);
      await AuditStore.write(tx, { ...actor, resource: `replication/execution/${execution.id}`, resourceType: "replication", operation: "stop" });
    });
    await this.#store.refreshExecution(id);
  }

  async tasks(executionId: bigint, filter: TaskFilter, page: Paging): Promise<ListPage<Task>> {
    await this.get(executionId);
    const where: Prisma.TaskWhereInput = {
      executionId,
      ...(filter.statuses && { status: { in: filter.statuses } }),
      ...(filter.resourceType && { extraAttrs: { path: ["resource_type"], equals: filter.resourceType } }),
    };
    const [total, items] = await this.db.$transaction([
      this.db.task.count({ where }),
      this.db.task.findMany({ where, orderBy: { id: "asc" }, skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async task(executionId: bigint, taskId: bigint): Promise<Task> {
    await this.get(executionId);
    const task = await this.db.task.findFirst({ where: { id: taskId, executionId } });
    if (!task) throw new NotFoundError(`task ${taskId} not found`);
    return task;
  }
}
