/**
 * `docker login` for OIDC users: the password is the user's CLI secret (Docker clients cannot
 * do OIDC), as Harbor does. Each use checks the secret and the stored ID token: while it is
 * valid, its groups and admin-group membership apply; once it has expired Berth refreshes it
 * with the provider — a refused refresh (user disabled, consent revoked) makes the secret stop
 * working, an unreachable provider is a 503 that says so.
 */
import { timingSafeEqual } from "node:crypto";
import type { Logger } from "@berth/logger";
import type { UserPrincipal } from "../../auth/principal.js";
import { GROUP_TYPE, type UserGroupStore } from "../../groups/user-group-store.js";
import type { UserStore } from "../../users/user-store.js";
import { verifyDecoy } from "../../users/password.js";
import type { OidcSettings } from "../auth-settings.js";
import { OidcRefusedError, type OidcClient } from "./oidc-client.js";
import type { OidcUserStore } from "./oidc-user-store.js";

/** A refresh is started this long before the ID token's expiry, so a push does not straddle it. */
const REFRESH_EARLY_MS = 10_000;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class CliSecretAuthenticator {
  /** One refresh per user at a time (a docker push asks for several tokens at once). */
  private readonly refreshing = new Map<number, Promise<UserPrincipal | undefined>>();
  private readonly log: Logger;

  constructor(
    private readonly users: UserStore,
    private readonly oidcUsers: OidcUserStore,
    private readonly groups: UserGroupStore,
    private readonly client: OidcClient,
    logger: Logger,
  ) {
    this.log = logger.child({ module: "cli-secret" });
  }

  async authenticate(settings: OidcSettings, username: string, secret: string): Promise<UserPrincipal | undefined> {
    const user = await this.users.findByName(username);
    const row = user ? await this.oidcUsers.get(user.id) : null;
    if (!user || !row) {
      await verifyDecoy(secret); // an unknown user costs what a wrong secret costs
      return undefined;
    }
    if (!sameSecret(this.oidcUsers.secretOf(row), secret)) return undefined;
    const principal = (groupIds: number[], admin: boolean): UserPrincipal => ({
      kind: "user",
      id: user.id,
      username: user.username,
      sysadmin: user.sysadmin || admin,
      adminRoleInAuth: admin,
      groupIds,
    });
    if (row.tokenExpiresAt && row.tokenExpiresAt.getTime() - REFRESH_EARLY_MS > Date.now()) return principal(row.groupIds, row.adminRoleInAuth);
    let pending = this.refreshing.get(user.id);
    if (!pending) {
      pending = this.refresh(settings, user.id, user.username).then((state) => state && principal(state.groupIds, state.admin));
      this.refreshing.set(user.id, pending);
      void pending.finally(() => this.refreshing.delete(user.id)).catch(() => undefined);
    }
    return pending;
  }

  /** Refreshes the user's tokens; `undefined` when the provider refuses (the secret stops working). */
  private async refresh(settings: OidcSettings, userId: number, username: string): Promise<{ groupIds: number[]; admin: boolean } | undefined> {
    const row = await this.oidcUsers.get(userId);
    if (!row) return undefined;
    const refreshToken = this.oidcUsers.tokensOf(row).refreshToken;
    if (!refreshToken) {
      this.log.info("the ID token of an OIDC user expired and there is no refresh token: sign in through the browser again", { username });
      return undefined;
    }
    try {
      const { tokens, identity } = await this.client.refresh(settings, refreshToken);
      if (identity.subiss !== row.subiss) throw new OidcRefusedError("the refreshed ID token names another subject");
      const groupIds = await this.groups.populate(GROUP_TYPE.oidc, identity.groups.map((name) => ({ name })));
      await this.oidcUsers.saveLogin(userId, { tokens, expiresAt: identity.expiresAt, groupIds, admin: identity.admin });
      return { groupIds, admin: identity.admin };
    } catch (err) {
      if (err instanceof OidcRefusedError) {
        this.log.info("the OIDC provider refused to refresh a user's token: their CLI secret no longer works", { username, reason: err.message });
        return undefined;
      }
      throw err;
    }
  }
}
