import { isUniqueViolation, type Prisma, type PrismaClient, type Project } from "@berth/db";
import { lockProjectLimit, QuotaStore } from "@berth/registry-store";
import { AuditStore, type Actor } from "../audit/audit-store.js";
import { ROLES } from "../auth/permissions.js";
import type { Principal } from "../auth/principal.js";
import { ConflictError, NotFoundError, PreconditionFailedError } from "../errors.js";
import { orderBy, textFilter, type ListPage, type Paging, type ListOrder, type TextMatch } from "../listing.js";
import { membershipOf } from "../members/member-store.js";
import type { RepositoryCounter } from "./repository-count.js";

export interface ProjectInput {
  name: string;
  public: boolean;
  metadata: Record<string, string>;
  storageLimit: bigint;
}

/** Which projects a list shows. */
export interface ProjectFilter {
  /** Only what this caller may see: sysadmins everything; others public projects and their own. */
  visibleTo?: Principal | undefined;
  name?: TextMatch | undefined;
  public?: boolean | undefined;
  ownerName?: string | undefined;
  /** A project id or name (quota lists' `reference_id`). */
  idOrName?: string | undefined;
}

/** Fields projects can be sorted by. */
export type ProjectSortField = "id" | "name" | "createdAt" | "updatedAt" | "storageLimit";

/** Which projects `principal` may see, as a Prisma filter. */
function visibility(principal: Principal | undefined): Prisma.ProjectWhereInput {
  if (!principal) return { public: true };
  if (principal.kind === "user") return principal.sysadmin ? {} : { OR: [{ public: true }, { members: { some: membershipOf(principal.id, principal.groupIds) } }] };
  const namespaces = principal.permissions.filter((p) => p.kind === "project").map((p) => p.namespace);
  return namespaces.includes("*") ? {} : { OR: [{ public: true }, { name: { in: namespaces } }] };
}

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

  /** Project `id`; `what` names it in the not-found message (a quota's id is its project's). */
  async get(id: number, what = "project"): Promise<Project> {
    const project = await this.db.project.findUnique({ where: { id } });
    if (!project) throw new NotFoundError(`${what} ${id} not found`);
    return project;
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

  async list(filter: ProjectFilter, page: Paging, sort?: ListOrder<ProjectSortField>): Promise<ListPage<Project>> {
    const and: Prisma.ProjectWhereInput[] = [];
    if ("visibleTo" in filter) and.push(visibility(filter.visibleTo));
    if (filter.name) and.push({ name: textFilter(filter.name) });
    if (filter.public !== undefined) and.push({ public: filter.public });
    if (filter.ownerName !== undefined) {
      const owner = await this.db.user.findUnique({ where: { username: filter.ownerName }, select: { id: true } });
      and.push({ ownerId: owner?.id ?? -1 });
    }
    if (filter.idOrName !== undefined) and.push(/^[0-9]{1,9}$/.test(filter.idOrName) ? { id: Number(filter.idOrName) } : { name: filter.idOrName });
    const where: Prisma.ProjectWhereInput = { AND: and };
    const [total, items] = await this.db.$transaction([
      this.db.project.count({ where }),
      this.db.project.findMany({ where, orderBy: orderBy(sort, { id: "asc" }), skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async update(project: Project, data: { public?: boolean; metadata?: Record<string, string>; storageLimit?: bigint }, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      // A new limit waits for the charges in flight that read the old one (registry-store's quota module).
      if (data.storageLimit !== undefined) await lockProjectLimit(tx, project.id);
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
