/**
 * Labels (`labels`) and the labels on artifacts (`artifact_labels`): every write comes through
 * here, with its audit row. A label is global (scope `g`, project 0) or a project's (scope `p`);
 * an artifact may carry global labels and its own project's.
 */
import { isUniqueViolation, type Label, type Prisma, type PrismaClient } from "@berth/db";
import { AuditStore, type Actor } from "../audit/audit-store.js";
import { ConflictError, InvalidInputError, NotFoundError } from "../errors.js";
import { textFilter, type ListPage, type Paging, type TextMatch } from "../listing.js";

export interface LabelInput {
  name: string;
  description: string;
  color: string;
}

/** Harbor's `Label`. */
export function labelView(l: Pick<Label, "id" | "name" | "description" | "color" | "scope" | "projectId" | "createdAt" | "updatedAt">) {
  return {
    id: l.id,
    name: l.name,
    description: l.description,
    color: l.color,
    scope: l.scope,
    project_id: l.projectId,
    creation_time: l.createdAt.toISOString(),
    update_time: l.updatedAt.toISOString(),
    deleted: false,
  };
}

export interface LabelFilter {
  scope: "g" | "p";
  projectId?: number | undefined;
  name?: TextMatch | undefined;
}

export class LabelStore {
  constructor(private readonly db: PrismaClient) {}

  async list(filter: LabelFilter, page: Paging): Promise<ListPage<Label>> {
    const where: Prisma.LabelWhereInput = {
      scope: filter.scope,
      projectId: filter.scope === "g" ? 0 : (filter.projectId ?? -1),
      ...(filter.name && { name: textFilter(filter.name) }),
    };
    const [total, items] = await this.db.$transaction([
      this.db.label.count({ where }),
      this.db.label.findMany({ where, orderBy: [{ name: "asc" }, { id: "asc" }], skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async get(id: number): Promise<Label> {
    const label = await this.db.label.findUnique({ where: { id } });
    if (!label) throw new NotFoundError(`label ${id} not found`);
    return label;
  }

  /** The labels named `names` visible in project `projectId` (its own and the global ones). */
  async byNames(projectId: number, names: readonly string[]): Promise<Label[]> {
    return this.db.label.findMany({ where: { name: { in: [...names] }, OR: [{ scope: "g" }, { scope: "p", projectId }] } });
  }

  async create(scope: "g" | "p", project: { id: number; name: string } | undefined, input: LabelInput, actor: Actor): Promise<Label> {
    try {
      return await this.db.$transaction(async (tx) => {
        const label = await tx.label.create({ data: { scope, projectId: project?.id ?? 0, ...input } });
        await AuditStore.write(tx, { ...actor, resource: `label:${input.name}`, resourceType: "label", operation: "create", projectId: project?.id ?? null });
        return label;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a label named ${input.name} already exists in this scope`);
      throw err;
    }
  }

  async update(label: Label, input: LabelInput, actor: Actor): Promise<void> {
    try {
      await this.db.$transaction(async (tx) => {
        await tx.label.update({ where: { id: label.id }, data: input });
        await AuditStore.write(tx, { ...actor, resource: `label:${input.name}`, resourceType: "label", operation: "update", projectId: label.projectId || null });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a label named ${input.name} already exists in this scope`);
      throw err;
    }
  }

  /** Deletes the label; it leaves every artifact carrying it. */
  async delete(label: Label, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.label.delete({ where: { id: label.id } });
      await AuditStore.write(tx, { ...actor, resource: `label:${label.name}`, resourceType: "label", operation: "delete", projectId: label.projectId || null });
    });
  }

  /** Adds `label` to the artifact (manifest row `artifactId`) of project `projectId`; 409 when it is there already. */
  async addToArtifact(projectId: number, artifact: { id: number; ref: string }, label: Label, actor: Actor): Promise<void> {
    if (label.scope === "p" && label.projectId !== projectId) throw new InvalidInputError(`label ${label.id} belongs to another project`);
    try {
      await this.db.$transaction(async (tx) => {
        await tx.artifactLabel.create({ data: { manifestId: BigInt(artifact.id), labelId: label.id } });
        await AuditStore.write(tx, { ...actor, resource: artifact.ref, resourceType: "artifact-label", operation: "create", projectId, detail: { label: label.name } });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`label ${label.name} is already on the artifact`);
      throw err;
    }
  }

  async removeFromArtifact(projectId: number, artifact: { id: number; ref: string }, labelId: number, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const removed = await tx.artifactLabel.deleteMany({ where: { manifestId: BigInt(artifact.id), labelId } });
      if (removed.count === 0) throw new NotFoundError(`label ${labelId} is not on the artifact`);
      await AuditStore.write(tx, { ...actor, resource: artifact.ref, resourceType: "artifact-label", operation: "delete", projectId, detail: { label_id: labelId } });
    });
  }
}
