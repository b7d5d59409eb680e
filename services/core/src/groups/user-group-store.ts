import { isUniqueViolation, type Prisma, type PrismaClient, type UserGroup } from "@berth/db";
import { AuditStore, type Actor } from "../audit/audit-store.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { textFilter, type ListPage, type Paging, type TextMatch } from "../listing.js";

/** Harbor's group types: 1 LDAP, 2 HTTP (not supported), 3 OIDC. */
export const GROUP_TYPE = { ldap: 1, oidc: 3 } as const;
export type GroupType = (typeof GROUP_TYPE)[keyof typeof GROUP_TYPE];

/** A group as an identity provider names it: LDAP groups by DN, OIDC groups by name. */
export interface ProvidedGroup {
  name: string;
  /** The LDAP group's DN (LDAP groups only). */
  dn?: string;
}

/** Harbor's `UserGroup`. */
export interface UserGroupView {
  id: number;
  group_name: string;
  group_type: number;
  ldap_group_dn: string;
}

export function userGroupView(g: UserGroup): UserGroupView {
  return { id: g.id, group_name: g.name, group_type: g.groupType, ldap_group_dn: g.ldapGroupDn };
}

/** The identity of a group within its type: the lower-cased DN of an LDAP group, an OIDC group's name. */
export function groupKey(type: GroupType, group: ProvidedGroup): string {
  return type === GROUP_TYPE.ldap ? normalizeDn(group.dn ?? "") : group.name;
}

/** DNs compare case-insensitively and without spaces around separators (`cn=a, dc=x` = `CN=a,DC=x`). */
export function normalizeDn(dn: string): string {
  return dn
    .split(",")
    .map((rdn) =>
      rdn
        .split("=")
        .map((p) => p.trim())
        .join("="),
    )
    .join(",")
    .toLowerCase();
}

export interface UserGroupFilter {
  name?: TextMatch | undefined;
  ldapGroupDn?: string | undefined;
  groupType?: number | undefined;
}

/** User groups (`user_groups`), from LDAP and OIDC; project memberships refer to them. */
export class UserGroupStore {
  constructor(private readonly db: PrismaClient) {}

  /**
   * The ids of `groups`, creating those not yet known (Harbor on-boards a user's groups at login).
   * Two statements whatever the count; concurrent logins creating the same group agree.
   */
  async populate(type: GroupType, groups: ProvidedGroup[]): Promise<number[]> {
    if (groups.length === 0) return [];
    const rows = groups.map((g) => ({ name: g.name, groupType: type, ldapGroupDn: type === GROUP_TYPE.ldap ? (g.dn ?? "") : "", key: groupKey(type, g) }));
    await this.db.userGroup.createMany({ data: rows, skipDuplicates: true });
    const found = await this.db.userGroup.findMany({ where: { groupType: type, key: { in: rows.map((r) => r.key) } }, select: { id: true } });
    return found.map((g) => g.id).sort((a, b) => a - b);
  }

  async get(id: number): Promise<UserGroup> {
    const group = await this.db.userGroup.findUnique({ where: { id } });
    if (!group) throw new NotFoundError(`user group ${id} not found`);
    return group;
  }

  find(type: GroupType, group: ProvidedGroup): Promise<UserGroup | null> {
    return this.db.userGroup.findUnique({ where: { groupType_key: { groupType: type, key: groupKey(type, group) } } });
  }

  async list(filter: UserGroupFilter, page: Paging): Promise<ListPage<UserGroup>> {
    const where: Prisma.UserGroupWhereInput = {
      ...(filter.name && { name: textFilter(filter.name) }),
      ...(filter.ldapGroupDn !== undefined && { key: normalizeDn(filter.ldapGroupDn), groupType: GROUP_TYPE.ldap }),
      ...(filter.groupType !== undefined && { groupType: filter.groupType }),
    };
    const [total, items] = await this.db.$transaction([
      this.db.userGroup.count({ where }),
      this.db.userGroup.findMany({ where, orderBy: { id: "asc" }, skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async create(type: GroupType, group: ProvidedGroup, actor: Actor): Promise<UserGroup> {
    try {
      return await this.db.$transaction(async (tx) => {
        const row = await tx.userGroup.create({
          data: { name: group.name, groupType: type, ldapGroupDn: type === GROUP_TYPE.ldap ? (group.dn ?? "") : "", key: groupKey(type, group) },
        });
        await AuditStore.write(tx, { ...actor, resource: `usergroup:${row.name}`, resourceType: "user_group", operation: "create" });
        return row;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`the group ${type === GROUP_TYPE.ldap ? group.dn : group.name} already exists`);
      throw err;
    }
  }

  /** Renames a group (Harbor allows only the name to change). */
  async rename(id: number, name: string, actor: Actor): Promise<void> {
    const group = await this.get(id);
    await this.db.$transaction(async (tx) => {
      // An OIDC group's key is its name: renaming it is re-keying it.
      await tx.userGroup.update({ where: { id }, data: { name, ...(group.groupType === GROUP_TYPE.oidc && { key: name }) } });
      await AuditStore.write(tx, { ...actor, resource: `usergroup:${name}`, resourceType: "user_group", operation: "update", detail: { previous_name: group.name } });
    }).catch((err: unknown) => {
      if (isUniqueViolation(err)) throw new ConflictError(`a group named ${name} already exists`);
      throw err;
    });
  }

  /** Deletes a group with its project memberships. */
  async delete(id: number, actor: Actor): Promise<void> {
    const group = await this.get(id);
    await this.db.$transaction(async (tx) => {
      await tx.projectMember.deleteMany({ where: { groupId: id } });
      await tx.userGroup.delete({ where: { id } });
      await AuditStore.write(tx, { ...actor, resource: `usergroup:${group.name}`, resourceType: "user_group", operation: "delete" });
    });
  }
}
