import type { UserPrincipal } from "../../auth/principal.js";
import { GROUP_TYPE, type UserGroupStore } from "../../groups/user-group-store.js";
import type { UserStore } from "../../users/user-store.js";
import type { LdapSettings } from "../auth-settings.js";
import type { LdapDirectory } from "./ldap-directory.js";

/**
 * An LDAP sign-in: the directory checks the password; the user is on-boarded at their first
 * login; their groups (created as Berth user groups when new) and admin-group membership are
 * those of this very login, so a change in the directory shows in the next token.
 */
export class LdapLogin {
  constructor(
    private readonly directory: LdapDirectory,
    private readonly users: UserStore,
    private readonly groups: UserGroupStore,
  ) {}

  async authenticate(settings: LdapSettings, username: string, password: string): Promise<UserPrincipal | undefined> {
    const login = await this.directory.authenticate(settings, username, password);
    if (!login || login.username === "") return undefined;
    const user = await this.users.onboard({ username: login.username, email: login.email, realname: login.realname }, "ldap");
    const groupIds = await this.groups.populate(
      GROUP_TYPE.ldap,
      login.groups.map((g) => ({ name: g.name, dn: g.dn })),
    );
    return { kind: "user", id: user.id, username: user.username, sysadmin: user.sysadmin || login.admin, adminRoleInAuth: login.admin, groupIds };
  }
}
