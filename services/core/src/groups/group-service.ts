/**
 * User groups as a use case: create one (an LDAP group only when the directory knows its DN),
 * and resolve the group a project membership names — by id, by LDAP DN or by OIDC name —
 * creating it when the provider vouches for it, as Harbor does.
 */
import type { UserGroup } from "@berth/db";
import type { Actor } from "../audit/audit-store.js";
import { InvalidInputError, PreconditionFailedError } from "../errors.js";
import type { AuthSettingsService } from "../identity/auth-settings-service.js";
import type { LdapDirectory } from "../identity/ldap/ldap-directory.js";
import { GROUP_TYPE, type UserGroupStore } from "./user-group-store.js";

/** A group as an API body names it (Harbor's `UserGroup`). */
export interface GroupRef {
  id?: number | undefined;
  group_name?: string | undefined;
  group_type?: number | undefined;
  ldap_group_dn?: string | undefined;
}

export class GroupService {
  constructor(
    private readonly groups: UserGroupStore,
    private readonly directory: LdapDirectory,
    private readonly settings: AuthSettingsService,
  ) {}

  async create(ref: GroupRef, actor: Actor): Promise<UserGroup> {
    if (ref.group_type === GROUP_TYPE.ldap) {
      const dn = ref.ldap_group_dn?.trim() ?? "";
      if (dn === "") throw new InvalidInputError("an LDAP group (group_type 1) needs ldap_group_dn");
      const found = await this.inDirectory(dn);
      return this.groups.create(GROUP_TYPE.ldap, { name: ref.group_name?.trim() || found.name, dn: found.dn }, actor);
    }
    if (ref.group_type === GROUP_TYPE.oidc) {
      const name = ref.group_name?.trim() ?? "";
      if (name === "") throw new InvalidInputError("an OIDC group (group_type 3) needs group_name");
      return this.groups.create(GROUP_TYPE.oidc, { name }, actor);
    }
    throw new InvalidInputError("group_type must be 1 (LDAP) or 3 (OIDC)");
  }

  /** The group a membership names; an LDAP group the directory knows, or an OIDC group by name, is created when new. */
  async resolve(ref: GroupRef, actor: Actor): Promise<UserGroup> {
    if (ref.id !== undefined) return this.groups.get(ref.id);
    if (ref.ldap_group_dn !== undefined && ref.ldap_group_dn.trim() !== "") {
      const known = await this.groups.find(GROUP_TYPE.ldap, { name: "", dn: ref.ldap_group_dn });
      return known ?? this.create({ ...ref, group_type: GROUP_TYPE.ldap }, actor);
    }
    const name = ref.group_name?.trim() ?? "";
    if (name === "") throw new InvalidInputError("member_group needs id, ldap_group_dn or group_name");
    const type = ref.group_type ?? GROUP_TYPE.oidc;
    if (type !== GROUP_TYPE.oidc) throw new InvalidInputError("an LDAP group is named by ldap_group_dn");
    return (await this.groups.find(GROUP_TYPE.oidc, { name })) ?? this.groups.create(GROUP_TYPE.oidc, { name }, actor);
  }

  private async inDirectory(dn: string): Promise<{ dn: string; name: string }> {
    const s = await this.settings.settings();
    if (s.ldap.url === "") throw new PreconditionFailedError("LDAP is not configured (ldap_url): LDAP groups cannot be checked");
    const [found] = await this.directory.searchGroups(s.ldap, { dn });
    if (!found) throw new InvalidInputError(`the LDAP directory has no group ${dn} (under the group filter)`);
    return found;
  }
}
