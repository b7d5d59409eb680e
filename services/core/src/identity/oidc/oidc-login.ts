/**
 * The OIDC sign-in (authorization code + PKCE), as a use case: start (state, nonce and PKCE
 * verifier sealed into a short-lived cookie — no server state, any core replica can finish it),
 * finish at the callback (verified ID token → the user, on-boarded when new), and on-board a new
 * user under a name they choose when auto-onboarding is off (Harbor's onboarding page).
 */
import * as client from "openid-client";
import type { DataKey } from "@berth/secrets";
import type { UserPrincipal } from "../../auth/principal.js";
import { InvalidInputError, PreconditionFailedError, UnauthenticatedError } from "../../errors.js";
import { GROUP_TYPE, type UserGroupStore } from "../../groups/user-group-store.js";
import { generateRobotSecret } from "../../robots/robot-store.js";
import type { UserStore } from "../../users/user-store.js";
import { username } from "../../users/username.js";
import type { OidcSettings } from "../auth-settings.js";
import type { AuthSettingsService } from "../auth-settings-service.js";
import { OidcRefusedError, type OidcClient, type OidcIdentity, type OidcTokens } from "./oidc-client.js";
import type { OidcUserStore } from "./oidc-user-store.js";

/** How long a started login (and a pending on-boarding) may take. */
export const LOGIN_WINDOW_SECONDS = 600;

const LOGIN_CONTEXT = "oidc-login";
const ONBOARD_CONTEXT = "oidc-onboard";

interface LoginChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Unix ms after which the login is stale. */
  until: number;
}

interface PendingOnboard {
  tokens: OidcTokens;
  identity: Omit<OidcIdentity, "expiresAt"> & { expiresAt: string };
  until: number;
}

export type LoginOutcome = { kind: "signed-in"; principal: UserPrincipal } | { kind: "onboard"; pending: string; suggested: string };

export class OidcLogin {
  constructor(
    private readonly settings: AuthSettingsService,
    private readonly client: OidcClient,
    private readonly users: UserStore,
    private readonly oidcUsers: OidcUserStore,
    private readonly groups: UserGroupStore,
    private readonly dataKey: DataKey,
    readonly redirectUri: string,
  ) {}

  private async oidcSettings(): Promise<OidcSettings> {
    const s = await this.settings.settings();
    if (s.mode !== "oidc_auth") throw new PreconditionFailedError("OIDC sign-in is off: the authentication mode is " + s.mode);
    return s.oidc;
  }

  /** The provider's URL to send the browser to, and the sealed checks to keep in its cookie. */
  async start(): Promise<{ location: URL; checks: string }> {
    const s = await this.oidcSettings();
    const checks: LoginChecks = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier(), until: Date.now() + LOGIN_WINDOW_SECONDS * 1000 };
    const location = await this.client.authorizationUrl(s, this.redirectUri, checks);
    return { location, checks: this.dataKey.seal(JSON.stringify(checks), LOGIN_CONTEXT) };
  }

  /** Finishes at the callback: `callbackUrl` is the URL the provider redirected to. */
  async finish(callbackUrl: URL, sealedChecks: string | undefined): Promise<LoginOutcome> {
    const s = await this.oidcSettings();
    const checks = this.openSealed<LoginChecks>(sealedChecks, LOGIN_CONTEXT);
    let result: { tokens: OidcTokens; identity: OidcIdentity };
    try {
      result = await this.client.exchange(s, callbackUrl, checks);
    } catch (err) {
      if (err instanceof OidcRefusedError) throw new UnauthenticatedError(err.message);
      throw err;
    }
    const { tokens, identity } = result;
    const groupIds = await this.groups.populate(GROUP_TYPE.oidc, identity.groups.map((name) => ({ name })));
    const state = { tokens, expiresAt: identity.expiresAt, groupIds, admin: identity.admin };
    const existing = await this.oidcUsers.findBySubiss(identity.subiss);
    if (existing) {
      await this.oidcUsers.saveLogin(existing.userId, state);
      const user = await this.users.get(existing.userId);
      return { kind: "signed-in", principal: principalOf(user, groupIds, identity.admin) };
    }
    if (s.autoOnboard) {
      if (identity.username === "") throw new UnauthenticatedError(`the ID token has no ${s.userClaim || "name"} claim to name the user after (oidc_user_claim)`);
      if (!username.safeParse(identity.username).success) {
        throw new UnauthenticatedError(`the ${s.userClaim || "name"} claim "${identity.username.slice(0, 100)}" is not a valid Berth username (no spaces or any of , " ~ # $ %): choose another oidc_user_claim or turn auto-onboarding off`);
      }
      const user = await this.oidcUsers.onboard({ username: identity.username, email: identity.email, realname: identity.realname }, identity.subiss, generateRobotSecret(), state);
      return { kind: "signed-in", principal: principalOf(user, groupIds, identity.admin) };
    }
    const pending: PendingOnboard = { tokens, identity: { ...identity, expiresAt: identity.expiresAt.toISOString() }, until: Date.now() + LOGIN_WINDOW_SECONDS * 1000 };
    return { kind: "onboard", pending: this.dataKey.seal(JSON.stringify(pending), ONBOARD_CONTEXT), suggested: identity.username };
  }

  /** On-boards the pending user under `username` (auto-onboarding off). */
  async onboard(sealedPending: string | undefined, username: string): Promise<UserPrincipal> {
    await this.oidcSettings();
    const pending = this.openSealed<PendingOnboard>(sealedPending, ONBOARD_CONTEXT);
    const identity = { ...pending.identity, expiresAt: new Date(pending.identity.expiresAt) };
    const groupIds = await this.groups.populate(GROUP_TYPE.oidc, identity.groups.map((name) => ({ name })));
    const state = { tokens: pending.tokens, expiresAt: identity.expiresAt, groupIds, admin: identity.admin };
    if (await this.oidcUsers.findBySubiss(identity.subiss)) throw new PreconditionFailedError("this provider identity is on-boarded already: sign in again");
    const user = await this.oidcUsers.onboard({ username, email: identity.email, realname: identity.realname }, identity.subiss, generateRobotSecret(), state);
    return principalOf(user, groupIds, identity.admin);
  }

  private openSealed<T extends { until: number }>(sealed: string | undefined, context: string): T {
    const stale = new InvalidInputError("the sign-in expired or was started in another browser: start again at /c/oidc/login");
    if (!sealed) throw stale;
    let value: T;
    try {
      value = JSON.parse(this.dataKey.open(sealed, context)) as T;
    } catch {
      throw stale;
    }
    if (!(value.until > Date.now())) throw stale;
    return value;
  }
}

function principalOf(user: { id: number; username: string; sysadmin: boolean }, groupIds: number[], admin: boolean): UserPrincipal {
  return { kind: "user", id: user.id, username: user.username, sysadmin: user.sysadmin || admin, adminRoleInAuth: admin, groupIds };
}
