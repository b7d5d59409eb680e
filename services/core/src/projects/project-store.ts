import type { Prisma, PrismaClient, Project } from "@berth/db";
import { QuotaStore } from "@berth/registry-store";
import { AuditStore, type AuditEntry } from "../audit/audit-store.js";
import { ROLES } from "../auth/permissions.js";
import { ConflictError, NotFoundError, PreconditionFailedError } from "../errors.js";
import type { Paging } from "../http/paging.js";
import type { RepositoryCounter } from "./repository-count.js";

type Actor = Pick<AuditEntry, "operator" | "operatorType">;

export interface ProjectInput {
  name: string;
  public: boolean;
  metadata: Record<string, string>;
  storageLimit: bigint;
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "P2002";

/** Projects (`projects`); the creator becomes the first projectAdmin in the same transaction. */
export class ProjectStore {
  constructor(
    private readonly db: PrismaClient,
    readonly repositoryCount: RepositoryCounter,
  ) {}

  /** Creates `name` (owned by `ownerId`) unless it exists; returns whether it was created. */
  async ensureProject(name: string, isPublic: boolean, ownerId: number): Promise<boolean> {
    if (await this.db.project.findUnique({ where: { name }, select: { id: true } })) return false;
    try {
      await this.create({ name, public: isPublic, metadata: {}, storageLimit: -1n }, ownerId, { operator: "system", operatorType: "system" });
      return true;
    } catch (err) {
      if (err instanceof ConflictError) return false; // another instance created it first
      throw err;
    }
  }

  async create(input: ProjectInput, ownerId: number, actor: Actor): Promise<Project> {
    try {
      return await this.db.$transaction(async (tx) => {
        const project = await tx.project.create({
          data: { name: input.name, public: input.public, metadata: input.metadata, storageLimit: input.storageLimit, ownerId },
        });
        await tx.projectMember.create({ data: { projectId: project.id, userId: ownerId, roleId: ROLES.projectAdmin } });
        await AuditStore.write(tx, { ...actor, resource: `project:${project.name}`, resourceType: "project", operation: "create", projectId: project.id });
        return project;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`project ${input.name} already exists`);
      throw err;
    }
  }

  findByName(name: string): Promise<Project | null> {
    return this.db.project.findUnique({ where: { name } });
  }

  /**
   * Resolves a `{project_name_or_id}` path parameter as Harbor does: a name when
   * `X-Is-Resource-Name: true` or when it is not an integer, else an id.
   */
  async resolve(nameOrId: string, isResourceName: boolean): Promise<Project> {
    const asId = !isResourceName && /^[0-9]{1,9}$/.test(nameOrId);
    const project = asId
      ? await this.db.project.findUnique({ where: { id: Number(nameOrId) } })
      : await this.db.project.findUnique({ where: { name: nameOrId } });
    if (!project) throw new NotFoundError(`project ${nameOrId} not found`);
    return project;
  }

  async list(where: Prisma.ProjectWhereInput, page: Paging): Promise<{ total: number; items: Project[] }> {
    const [total, items] = await this.db.$transaction([
      this.db.project.count({ where }),
      this.db.project.findMany({ where, orderBy: { id: "asc" }, skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async update(project: Project, data: { public?: boolean; metadata?: Record<string, string>; storageLimit?: bigint }, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.project.update({
        where: { id: project.id },
        data: {
          ...(data.public !== undefined ? { public: data.public } : {}),
          ...(data.metadata !== undefined ? { metadata: data.metadata } : {}),
          ...(data.storageLimit !== undefined ? { storageLimit: data.storageLimit } : {}),
        },
      });
      await AuditStore.write(tx, {
        ...actor,
        resource: `project:${project.name}`,
        resourceType: "project",
        operation: "update",
        projectId: project.id,
        detail: { public: data.public ?? null, metadata: data.metadata ?? null, storage_limit: data.storageLimit?.toString() ?? null },
      });
    });
  }

  /** Deletes the project with its members and robots; 412 while it holds repositories. */
  async delete(project: Project, actor: Actor): Promise<void> {
    if ((await this.repositoryCount(project.id, project.name)) > 0) {
      throw new PreconditionFailedError(`project ${project.name} still contains repositories`);
    }
    await this.db.$transaction(async (tx) => {
      await tx.project.delete({ where: { id: project.id } });
      await QuotaStore.forgetProject(tx, project.id);
      await AuditStore.write(tx, { ...actor, resource: `project:${project.name}`, resourceType: "project", operation: "delete", projectId: project.id });
    });
  }
}
