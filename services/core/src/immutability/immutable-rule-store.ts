/**
 * Tag immutability rules (`immutable_tag_rules`): every write comes through here, with its audit
 * row. The registry reads the rows through registry-store (docs/immutability.md).
 */
import type { ImmutableTagRule, Prisma, PrismaClient } from "@berth/db";
import type { HarborSelector } from "@berth/selectors";
import { AuditStore, type Actor } from "../audit/audit-store.js";
import { NotFoundError, PreconditionFailedError } from "../errors.js";
import type { ListPage, Paging } from "../listing.js";

/** Harbor's limit of immutability rules per project. */
export const MAX_IMMUTABLE_RULES = 15;

export interface ImmutableRuleInput {
  disabled: boolean;
  priority: number;
  tagSelectors: HarborSelector[];
  repositorySelectors: HarborSelector[];
}

/** Harbor's `ImmutableRule`. */
export function immutableRuleView(r: ImmutableTagRule) {
  return {
    id: r.id,
    project_id: r.projectId,
    priority: r.priority,
    disabled: r.disabled,
    action: "immutable",
    template: "immutable_template",
    params: {},
    tag_selectors: r.tagSelectors,
    scope_selectors: r.scopeSelectors,
  };
}

export class ImmutableRuleStore {
  constructor(private readonly db: PrismaClient) {}

  async list(projectId: number, page: Paging): Promise<ListPage<ImmutableTagRule>> {
    const where = { projectId };
    const [total, items] = await this.db.$transaction([
      this.db.immutableTagRule.count({ where }),
      this.db.immutableTagRule.findMany({ where, orderBy: [{ priority: "asc" }, { id: "asc" }], skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async get(projectId: number, id: number): Promise<ImmutableTagRule> {
    const rule = await this.db.immutableTagRule.findFirst({ where: { id, projectId } });
    if (!rule) throw new NotFoundError(`immutable tag rule ${id} not found`);
    return rule;
  }

  async create(project: { id: number; name: string }, input: ImmutableRuleInput, actor: Actor): Promise<ImmutableTagRule> {
    return this.db.$transaction(async (tx) => {
      // One writer per project at a time, so the limit holds under concurrent creates.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('immutable-tag-rules'), ${project.id}::int)`;
      if ((await tx.immutableTagRule.count({ where: { projectId: project.id } })) >= MAX_IMMUTABLE_RULES) {
        throw new PreconditionFailedError(`a project has at most ${MAX_IMMUTABLE_RULES} immutability rules`);
      }
      const rule = await tx.immutableTagRule.create({ data: { projectId: project.id, ...data(input) } });
      await AuditStore.write(tx, { ...actor, resource: `${project.name}/immutabletagrules/${rule.id}`, resourceType: "immutable-tag", operation: "create", projectId: project.id });
      return rule;
    });
  }

  async update(project: { id: number; name: string }, rule: ImmutableTagRule, input: Partial<ImmutableRuleInput>, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.immutableTagRule.update({ where: { id: rule.id }, data: data({ ...fromRow(rule), ...input }) });
      await AuditStore.write(tx, { ...actor, resource: `${project.name}/immutabletagrules/${rule.id}`, resourceType: "immutable-tag", operation: "update", projectId: project.id });
    });
  }

  async delete(project: { id: number; name: string }, rule: ImmutableTagRule, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.immutableTagRule.delete({ where: { id: rule.id } });
      await AuditStore.write(tx, { ...actor, resource: `${project.name}/immutabletagrules/${rule.id}`, resourceType: "immutable-tag", operation: "delete", projectId: project.id });
    });
  }
}

function fromRow(r: ImmutableTagRule): ImmutableRuleInput {
  return {
    disabled: r.disabled,
    priority: r.priority,
    tagSelectors: r.tagSelectors as unknown as HarborSelector[],
    repositorySelectors: ((r.scopeSelectors as { repository?: HarborSelector[] }).repository ?? []) as HarborSelector[],
  };
}

function data(input: ImmutableRuleInput): { disabled: boolean; priority: number; tagSelectors: Prisma.InputJsonValue; scopeSelectors: Prisma.InputJsonValue } {
  return {
    disabled: input.disabled,
    priority: input.priority,
    tagSelectors: input.tagSelectors as unknown as Prisma.InputJsonValue,
    scopeSelectors: { repository: input.repositorySelectors } as unknown as Prisma.InputJsonValue,
  };
}
