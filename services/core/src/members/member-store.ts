import { isUniqueViolation, type PrismaClient, type ProjectMember } from "@berth/db";
import { AuditStore, type Actor } from "../audit/audit-store.js";
import { roleName, type RoleName } from "../auth/permissions.js";
import { ConflictError, NotFoundError } from "../errors.js";
import type { ListPage, Paging } from "../listing.js";

/** Harbor's `ProjectMemberEntity`. */
export interface MemberView {
  id: number;
  project_id: number;
  entity_name: string;
  entity_id: number;
  entity_type: "u";
  role_id: number;
  role_name: string;
}

/** Project memberships (`project_members`): users only for now (`entity_type` "u"). */
export class MemberStore {
  constructor(private readonly db: PrismaClient) {}

  /** The roles `userId` holds in `projectId` (empty for non-members). */
  async rolesOf(userId: number, projectId: number): Promise<RoleName[]> {
    const row = await this.db.projectMember.findUnique({ where: { projectId_userId: { projectId, userId } }, select: { roleId: true } });
    const role = row ? roleName(row.roleId) : undefined;
    return role ? [role] : [];
  }

  async roleIdsOf(userId: number, projectIds: number[]): Promise<Map<number, number>> {
    const rows = await this.db.projectMember.findMany({ where: { userId, projectId: { in: projectIds } }, select: { projectId: true, roleId: true } });
    return new Map(rows.map((r) => [r.projectId, r.roleId]));
  }

  /** How many members hold each role in `projectId` (role id → count; roles nobody holds are absent). */
  async countByRole(projectId: number): Promise<Map<number, number>> {
    const groups = await this.db.projectMember.groupBy({ by: ["roleId"], where: { projectId }, _count: { _all: true } });
    return new Map(groups.map((g) => [g.roleId, g._count._all]));
  }

  private async views(rows: ProjectMember[]): Promise<MemberView[]> {
    const users = await this.db.user.findMany({ where: { id: { in: rows.map((r) => r.userId) } }, select: { id: true, username: true } });
    const names = new Map(users.map((u) => [u.id, u.username]));
    return rows.map((r) => ({
      id: r.id,
      project_id: r.projectId,
      entity_name: names.get(r.userId) ?? "",
      entity_id: r.userId,
      entity_type: "u",
      role_id: r.roleId,
      role_name: roleName(r.roleId) ?? "unknown",
    }));
  }

  async list(projectId: number, entityName: string | undefined, page: Paging): Promise<ListPage<MemberView>> {
    let userFilter = {};
    if (entityName) {
      const users = await this.db.user.findMany({ where: { username: { contains: entityName } }, select: { id: true } });
      userFilter = { userId: { in: users.map((u) => u.id) } };
    }
    const where = { projectId, ...userFilter };
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

  async add(project: { id: number; name: string }, user: { id: number; username: string }, roleId: number, actor: Actor): Promise<number> {
    try {
      return await this.db.$transaction(async (tx) => {
        const row = await tx.projectMember.create({ data: { projectId: project.id, userId: user.id, roleId } });
        await AuditStore.write(tx, {
          ...actor,
          resource: `${project.name}:${user.username}`,
          resourceType: "member",
          operation: "create",
          projectId: project.id,
          detail: { role_id: roleId },
        });
        return row.id;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`${user.username} is already a member of ${project.name}`);
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
