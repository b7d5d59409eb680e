/**
 * Replication policies (`replication_policies`): every write comes through here, each with its
 * audit row and a `replication.policy.changed` outbox event in the same transaction (jobservice
 * re-reads the policy: its cron schedule). The rules Harbor enforces are checked in that
 * transaction too: the registries exist, exactly one side is this Berth, event-based triggers
 * push from here, a pull's destination namespace is not in a proxy cache project.
 */
import { isUniqueViolation, type Prisma, type PrismaClient, type ReplicationPolicy } from "@berth/db";
import { ExecutionStore } from "@berth/executions";
import type { OutboxEventPayload, OutboxEventType } from "@berth/queue/events";
import { REPLICATION_VENDOR_TYPE, type PolicyFilter, type TriggerType } from "@berth/replication";
import { AuditStore, type Actor } from "../audit/audit-store.js";
import { ConflictError, InvalidInputError, NotFoundError, PreconditionFailedError } from "../errors.js";
import { orderBy, textFilter, type ListOrder, type ListPage, type Paging, type TextMatch } from "../listing.js";

export interface PolicyInput {
  name: string;
  description: string;
  /** null: this Berth. */
  srcRegistryId: number | null;
  destRegistryId: number | null;
  destNamespace: string;
  destNamespaceReplaceCount: number;
  triggerType: TriggerType;
  /** Validated six-field cron for `scheduled`, else "". */
  cron: string;
  filters: PolicyFilter[];
  replicateDeletion: boolean;
  override: boolean;
  enabled: boolean;
  speed: number;
  copyByChunk: boolean;
  singleActiveReplication: boolean;
}

export type PolicySortField = "id" | "name" | "createdAt" | "updatedAt";
type Tx = Prisma.TransactionClient;

export class ReplicationPolicyStore {
  constructor(private readonly db: PrismaClient) {}

  async list(name: TextMatch | undefined, page: Paging, sort?: ListOrder<PolicySortField>): Promise<ListPage<ReplicationPolicy>> {
    const where: Prisma.ReplicationPolicyWhereInput = name ? { name: textFilter(name) } : {};
    const [total, items] = await this.db.$transaction([
      this.db.replicationPolicy.count({ where }),
      this.db.replicationPolicy.findMany({ where, orderBy: orderBy(sort, { id: "asc" }), skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async get(id: number): Promise<ReplicationPolicy> {
    const row = await this.db.replicationPolicy.findUnique({ where: { id } });
    if (!row) throw new NotFoundError(`replication policy ${id} not found`);
    return row;
  }

  async create(input: PolicyInput, actor: Actor): Promise<ReplicationPolicy> {
    return this.#conflict(input.name, () =>
      this.db.$transaction(async (tx) => {
        await checkRules(tx, input);
        const row = await tx.replicationPolicy.create({ data: { ...data(input), creator: actor.operator } });
        await changed(tx, row.id);
        await AuditStore.write(tx, { ...actor, resource: `replication/${input.name}`, resourceType: "replication-policy", operation: "create" });
        return row;
      }),
    );
  }

  async update(row: ReplicationPolicy, input: PolicyInput, actor: Actor): Promise<void> {
    await this.#conflict(input.name, () =>
      this.db.$transaction(async (tx) => {
        await checkRules(tx, input);
        await tx.replicationPolicy.update({ where: { id: row.id }, data: data(input) });
        await changed(tx, row.id);
        await AuditStore.write(tx, { ...actor, resource: `replication/${input.name}`, resourceType: "replication-policy", operation: "update" });
      }),
    );
  }

  /** Deletes the policy and its finished executions; refused (412) while one runs, as Harbor does. */
  async delete(row: ReplicationPolicy, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      if (await ExecutionStore.hasActive(tx, REPLICATION_VENDOR_TYPE, BigInt(row.id))) {
        throw new PreconditionFailedError(`replication policy ${row.name} has a pending or running execution; stop it first`);
      }
      await tx.execution.deleteMany({ where: { vendorType: REPLICATION_VENDOR_TYPE, vendorId: BigInt(row.id) } });
      await tx.replicationPolicy.delete({ where: { id: row.id } });
      await changed(tx, row.id);
      await AuditStore.write(tx, { ...actor, resource: `replication/${row.name}`, resourceType: "replication-policy", operation: "delete" });
    });
  }

  async #conflict<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a replication policy named ${name} already exists`);
      throw err;
    }
  }
}

function data(input: PolicyInput) {
  return { ...input, filters: input.filters as unknown as Prisma.InputJsonArray };
}

async function changed(tx: Tx, policyId: number): Promise<void> {
  const payload: OutboxEventPayload<"replication.policy.changed"> = { policyId };
  await tx.outboxEvent.create({ data: { type: "replication.policy.changed" satisfies OutboxEventType, payload } });
}

async function checkRules(tx: Tx, input: PolicyInput): Promise<void> {
  const ids = [input.srcRegistryId, input.destRegistryId].filter((id): id is number => id !== null);
  const found = new Set((await tx.registryEndpoint.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((r) => r.id));
  for (const id of ids) if (!found.has(id)) throw new InvalidInputError(`registry ${id} does not exist`);
  if ((input.srcRegistryId === null) === (input.destRegistryId === null)) {
    throw new InvalidInputError("exactly one of src_registry and dest_registry must be a remote registry (the other side is this Berth)");
  }
  if (input.triggerType === "event_based" && input.srcRegistryId !== null) {
    throw new InvalidInputError("event_based triggers replicate this Berth's events: the source must be this Berth (push mode)");
  }
  // Pull mode into a named namespace: its project must not be a proxy cache (read-only). With no
  // namespace the destination projects are the sources' and are checked when a task runs.
  if (input.destRegistryId === null && input.destNamespace !== "") {
    const name = input.destNamespace.split("/")[0]!;
    const project = await tx.project.findUnique({ where: { name }, select: { registryId: true } });
    if (project?.registryId != null) {
      throw new InvalidInputError(`dest_namespace ${input.destNamespace}: project ${name} is a proxy cache (read-only); replication cannot write into it`);
    }
  }
}
