/**
 * What the authentication mode means for user accounts: OIDC users' metadata and CLI secrets,
 * and local accounts being created only in `db_auth` (elsewhere users come from the provider).
 */
import type { Actor } from "../audit/audit-store.js";
import { NotFoundError, PreconditionFailedError } from "../errors.js";
import { generateRobotSecret } from "../robots/robot-store.js";
import type { UserStore } from "../users/user-store.js";
import type { AuthSettingsService } from "./auth-settings-service.js";
import type { OidcUserMetaView, OidcUserStore } from "./oidc/oidc-user-store.js";

export class UserIdentity {
  constructor(
    private readonly settings: AuthSettingsService,
    private readonly oidcUsers: OidcUserStore,
    private readonly users: UserStore,
  ) {}

  /** Harbor's `oidc_user_meta` of an OIDC user (the CLI secret only when `withSecret`). */
  async oidcMeta(userId: number, withSecret: boolean): Promise<OidcUserMetaView | undefined> {
    const row = await this.oidcUsers.get(userId);
    return row ? this.oidcUsers.view(row, withSecret) : undefined;
  }

  /** Sets (or generates) an OIDC user's CLI secret; the previous one stops working at once. */
  async setCliSecret(userId: number, secret: string | undefined, actor: Actor): Promise<string> {
    const user = await this.users.get(userId);
    if ((await this.settings.settings()).mode !== "oidc_auth") throw new PreconditionFailedError("CLI secrets exist only in oidc_auth mode");
    const row = await this.oidcUsers.get(userId);
    if (!row) throw new NotFoundError(`user ${user.username} was not on-boarded through OIDC: they have no CLI secret`);
    const clear = secret ?? generateRobotSecret();
    await this.oidcUsers.setSecret(row, user.username, clear, actor);
    return clear;
  }

  /** Local accounts are created only in `db_auth`; elsewhere the identity provider on-boards users. */
  async requireLocalAccounts(): Promise<void> {
    const mode = (await this.settings.settings()).mode;
    if (mode !== "db_auth") throw new PreconditionFailedError(`users cannot be created in ${mode}: they are on-boarded from the identity provider at their first login`);
  }
}
