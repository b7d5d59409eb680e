/** Webhook policies (`webhook_policies`): every write comes through here. */
import { isUniqueViolation, type Prisma, type PrismaClient, type WebhookPolicy } from "@berth/db";
import type { WebhookEventType, WebhookTarget } from "@berth/webhooks";
import { AuditStore, type Actor } from "../audit/audit-store.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { orderBy, textFilter, type ListPage, type Paging, type ListOrder, type TextMatch } from "../listing.js";

export interface PolicyInput {
  name: string;
  description: string;
  targets: WebhookTarget[];
  eventTypes: WebhookEventType[];
  enabled: boolean;
}

/** Harbor's `WebhookPolicy`; target secrets are write-only and never shown. */
export function policyView(p: WebhookPolicy) {
  const targets = (p.targets as unknown as WebhookTarget[]).map(({ secret, ...t }) => ({ ...t, auth_header: t.auth_header ?? "", has_secret: Boolean(secret) }));
  return {
    id: Number(p.id),
    name: p.name,
    description: p.description,
    project_id: p.projectId,
    targets,
    event_types: p.eventTypes,
    creator: p.creator,
    creation_time: p.createdAt.toISOString(),
    update_time: p.updatedAt.toISOString(),
    enabled: p.enabled,
  };
}

/** Fields webhook policies can be sorted by. */
export type WebhookPolicySortField = "id" | "name" | "createdAt" | "updatedAt";

export class WebhookPolicyStore {
  constructor(private readonly db: PrismaClient) {}

  /** The project's policies, optionally only those whose name matches `name`. */
  async list(projectId: number, name: TextMatch | undefined, page: Paging, sort?: ListOrder<WebhookPolicySortField>): Promise<ListPage<WebhookPolicy>> {
    const where: Prisma.WebhookPolicyWhereInput = { projectId, ...(name && { name: textFilter(name) }) };
    const [total, items] = await this.db.$transaction([
      this.db.webhookPolicy.count({ where }),
      this.db.webhookPolicy.findMany({ where, orderBy: orderBy(sort, { id: "asc" }), skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async get(projectId: number, id: bigint): Promise<WebhookPolicy> {
    const policy = await this.db.webhookPolicy.findFirst({ where: { id, projectId } });
    if (!policy) throw new NotFoundError(`webhook policy ${id} not found`);
    return policy;
  }

  async create(projectId: number, projectName: string, input: PolicyInput, actor: Actor): Promise<WebhookPolicy> {
    try {
      return await this.db.$transaction(async (tx) => {
        const policy = await tx.webhookPolicy.create({ data: { projectId, ...this.#data(input), creator: actor.operator } });
        await AuditStore.write(tx, { ...actor, resource: `${projectName}/webhook/${input.name}`, resourceType: "notification-policy", operation: "create", projectId });
        return policy;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a webhook policy named ${input.name} already exists in this project`);
      throw err;
    }
  }

  /** Replaces the policy; a target whose `secret` is omitted keeps the secret of the stored target with the same address. */
  async update(policy: WebhookPolicy, projectName: string, input: PolicyInput, actor: Actor): Promise<void> {
    const old = policy.targets as unknown as WebhookTarget[];
    const targets = input.targets.map((t) => (t.secret !== undefined ? t : { ...t, ...pickSecret(old.find((o) => o.address === t.address)) }));
    try {
      await this.db.$transaction(async (tx) => {
        await tx.webhookPolicy.update({ where: { id: policy.id }, data: this.#data({ ...input, targets }) });
        await AuditStore.write(tx, { ...actor, resource: `${projectName}/webhook/${input.name}`, resourceType: "notification-policy", operation: "update", projectId: policy.projectId });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a webhook policy named ${input.name} already exists in this project`);
      throw err;
    }
  }

  async delete(policy: WebhookPolicy, projectName: string, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.webhookPolicy.delete({ where: { id: policy.id } });
      await AuditStore.write(tx, { ...actor, resource: `${projectName}/webhook/${policy.name}`, resourceType: "notification-policy", operation: "delete", projectId: policy.projectId });
    });
  }

  #data(input: PolicyInput) {
    // An empty secret means "none" (so a PUT can remove it).
    const targets = input.targets.map(({ secret, ...t }) => (secret ? { ...t, secret } : t));
    return { name: input.name, description: input.description, targets: targets as unknown as Prisma.InputJsonArray, eventTypes: input.eventTypes, enabled: input.enabled };
  }
}

function pickSecret(t: WebhookTarget | undefined): { secret?: string } {
  return t?.secret ? { secret: t.secret } : {};
}
