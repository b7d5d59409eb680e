import { isUniqueViolation, type Prisma, type PrismaClient, type ProjectMember } from "@berth/db";
import { AuditStore, type Actor } from "../audit/audit-store.js";
import { roleName, type RoleName } from "../auth/permissions.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { ListPage, Paging } from "../listing.js";

/** Harbor's `ProjectMemberEntity`: `entity_type` "u" for a user, "g" for a user group. */
export interface MemberView {
  id: number;
  project_id: number;
  entity_name: string;
  entity_id: number;
  entity_type: "u" | "g";
  role_id: number;
  role_name: string;
}

/** Who a membership is for. */
export type MemberEntity = { kind: "user"; id: number; name: string } | { kind: "group"; id: number; name: string };

/** Memberships of `userId` directly or through one of `groupIds`, as a Prisma filter. */
export function membershipOf(userId: number, groupIds: readonly number[] = []): Prisma.ProjectMemberWhereInput {
  return groupIds.length === 0 ? { userId } : { OR: [{ userId }, { groupId: { in: [...groupIds] } }] };
}

/** Project memberships (`project_members`) of users and of user groups. */
export class MemberStore {
  constructor(private readonly db: PrismaClient) {}

  /**
   * The roles `userId` holds in `projectId`, directly or through one of `groupIds` (empty for
   * non-members). Their permissions add up, so the effective role is the highest of them.
   */
  async rolesOf(userId: number, groupIds: readonly number[], projectId: number): Promise<RoleName[]> {
    const rows = await this.db.projectMember.findMany({ where: { projectId, ...membershipOf(userId, groupIds) }, select: { roleId: true } });
    return rows.map((r) => roleName(r.roleId)).filter((r): r is RoleName => r !== undefined);
  }

  /** The role ids `userId` holds (directly or through `groupIds`) in each of `projectIds`. */
  async roleIdsOf(userId: number, groupIds: readonly number[], projectIds: number[]): Promise<Map<number, number[]>> {
    const rows = await this.db.projectMember.findMany({ where: { projectId: { in: projectIds }, ...membershipOf(userId, groupIds) }, select: { projectId: true, roleId: true } });
    const roles = new Map<number, number[]>();
    for (const r of rows) roles.set(r.projectId, [...(roles.get(r.projectId) ?? []), r.roleId]);
    return roles;
  }

  /** How many members hold each role in `projectId` (role id → count; roles nobody holds are absent). */
  async countByRole(projectId: number): Promise<Map<number, number>> {
    const groups = await this.db.projectMember.groupBy({ by: ["roleId"], where: { projectId }, _count: { _all: true } });
    return new Map(groups.map((g) => [g.roleId, g._count._all]));
  }

  private async views(rows: ProjectMember[]): Promise<MemberView[]> {
    const userIds = rows.flatMap((r) => (r.userId !== null ? [r.userId] : []));
    const groupIds = rows.flatMap((r) => (r.groupId !== null ? [r.groupId] : []));
    const [users, groups] = await Promise.all([
      userIds.length ? this.db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, username: true } }) : [],
      groupIds.length ? this.db.userGroup.findMany({ where: { id: { in: groupIds } }, select: { id: true, name: true } }) : [],
    ]);
    const userNames = new Map(users.map((u) => [u.id, u.username]));
    const groupNames = new Map(groups.map((g) => [g.id, g.name]));
    return rows.map((r) => ({
      id: r.id,
      project_id: r.projectId,
      entity_name: (r.userId !== null ? userNames.get(r.userId) : groupNames.get(r.groupId ?? 0)) ?? "",
      entity_id: r.userId ?? r.groupId ?? 0,
      entity_type: r.userId !== null ? "u" : "g",
      role_id: r.roleId,
      role_name: roleName(r.roleId) ?? "unknown",
    }));
  }

  async list(projectId: number, entityName: string | undefined, page: Paging): Promise<ListPage<MemberView>> {
    let entityFilter: Prisma.ProjectMemberWhereInput = {};
    if (entityName) {
      const [users, groups] = await Promise.all([
        this.db.user.findMany({ where: { username: { contains: entityName } }, select: { id: true } }),
        this.db.userGroup.findMany({ where: { name: { contains: entityName } }, select: { id: true } }),
      ]);
      entityFilter = { OR: [{ userId: { in: users.map((u) => u.id) } }, { groupId: { in: groups.map((g) => g.id) } }] };
    }
    const where = { projectId, ...entityFilter };
    const [total, rows] = await this.db.$transaction([
      this.db.projectMember.count({ where }),
      this.db.projectMember.findMany({ where, orderBy: { id: "asc" }, skip: page.skip, take: page.take }),
    ]);
    return { total, items: await this.views(rows) };
  }

  async get(projectId: number, memberId: number): Promise<MemberView> {
    const row = await this.db.projectMember.findFirst({ where: { id: memberId, projectId } });
    if (!row) throw new NotFoundError(`member ${memberId} not found in project ${projectId}`);
    const [view] = await this.views([row]);
    return view as MemberView;
  }

  async add(project: { id: number; name: string }, entity: MemberEntity, roleId: number, actor: Actor): Promise<number> {
    try {
      return await this.db.$transaction(async (tx) => {
        const row = await tx.projectMember.create({
          data: { projectId: project.id, roleId, ...(entity.kind === "user" ? { userId: entity.id } : { groupId: entity.id }) },
        });
        await AuditStore.write(tx, {
          ...actor,
          resource: `${project.name}:${entity.name}`,
          resourceType: "member",
          operation: "create",
          projectId: project.id,
          detail: { role_id: roleId, entity_type: entity.kind === "user" ? "u" : "g" },
        });
        return row.id;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`${entity.kind === "user" ? "user" : "group"} ${entity.name} is already a member of ${project.name}`);
      throw err;
    }
  }

  async updateRole(project: { id: number; name: string }, memberId: number, roleId: number, actor: Actor): Promise<void> {
    const member = await this.get(project.id, memberId);
    await this.db.$transaction(async (tx) => {
      await tx.projectMember.update({ where: { id: memberId }, data: { roleId } });
      await AuditStore.write(tx, {
        ...actor,
        resource: `${project.name}:${member.entity_name}`,
        resourceType: "member",
        operation: "update",
        projectId: project.id,
        detail: { role_id: roleId },
      });
    });
  }

  async remove(project: { id: number; name: string }, memberId: number, actor: Actor): Promise<void> {
    const member = await this.get(project.id, memberId);
    await this.db.$transaction(async (tx) => {
      await tx.projectMember.delete({ where: { id: memberId } });
      await AuditStore.write(tx, { ...actor, resource: `${project.name}:${member.entity_name}`, resourceType: "member", operation: "delete", projectId: project.id });
    });
  }
}
