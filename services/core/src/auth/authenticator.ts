import { operatorTypeOf } from "@berth/audit";
import type { Logger } from "@berth/logger";
import type { AuditStore } from "../audit/audit-store.js";
import { RateLimitedError } from "../errors.js";
import type { RobotStore } from "../robots/robot-store.js";
import type { UserStore } from "../users/user-store.js";
import type { AuthSettingsService } from "../identity/auth-settings-service.js";
import type { LdapLogin } from "../identity/ldap/ldap-login.js";
import type { CliSecretAuthenticator } from "../identity/oidc/cli-secret-authenticator.js";
import type { Principal, UserPrincipal } from "./principal.js";
import type { LoginRateLimiter } from "./rate-limit.js";

/** Where a password is checked in each authentication mode. */
export interface IdentityProviders {
  settings: AuthSettingsService;
  ldap: LdapLogin;
  cliSecrets: CliSecretAuthenticator;
}

/** The local account that always signs in against the database, whatever the mode (Harbor's user 1). */
const LOCAL_ADMIN = "admin";

/**
 * Checks a username/password pair for a user or (name starting `robot$`) a robot, behind the
 * failed-login limiter. Users are checked where the authentication mode says — the database,
 * the LDAP directory, or (OIDC) the user's CLI secret — except `admin`, always the database.
 * Failures are audited (`login_failed`); an identity provider that cannot be reached is a 503,
 * not a failure. Used by the API's Basic auth, the token service and the browser login.
 */
export class Authenticator {
  private readonly log: Logger;
  constructor(
    private readonly users: UserStore,
    private readonly robots: RobotStore,
    private readonly limiter: LoginRateLimiter,
    private readonly audit: AuditStore,
    logger: Logger,
    private readonly providers: IdentityProviders,
  ) {
    this.log = logger.child({ module: "authenticator" });
  }

  /**
   * The principal, or `undefined` for wrong credentials; throws 429 while rate limited and 503
   * when the identity provider is unavailable. `allowRobots: false` refuses robots; `cliSecrets:
   * false` refuses OIDC users' CLI secrets (the browser signs them in through the provider).
   */
  async check(username: string, password: string, clientAddress: string, options: { allowRobots?: boolean; cliSecrets?: boolean } = {}): Promise<Principal | undefined> {
    const keys = [`user:${username}`, `addr:${clientAddress}`];
    const { waitSeconds, failures } = await this.limiter.status(keys);
    if (waitSeconds !== undefined) throw new RateLimitedError("too many failed login attempts; try again later", waitSeconds);
    const isRobot = operatorTypeOf(username) === "robot";
    const principal = isRobot ? (options.allowRobots !== false ? await this.robots.authenticate(username, password) : undefined) : await this.user(username, password, options.cliSecrets !== false);
    if (principal) {
      // Clears the user's failures, when there are any (a round trip to Redis saved per request otherwise).
      if (failures[0]! > 0) await this.limiter.reset(`user:${username}`);
      return principal;
    }
    await this.limiter.recordFailure(keys);
    try {
      await this.audit.record({
        operator: username.slice(0, 255),
        operatorType: isRobot ? "robot" : "user",
        resource: `user:${username.slice(0, 255)}`,
        resourceType: isRobot ? "robot" : "user",
        operation: "login_failed",
        result: "failure",
        detail: { client: clientAddress },
      });
    } catch (err) {
      this.log.error("could not audit a failed login", { err });
    }
    return undefined;
  }

  private async user(username: string, password: string, cliSecrets: boolean): Promise<UserPrincipal | undefined> {
    if (username === LOCAL_ADMIN) return this.users.authenticate(username, password);
    const settings = await this.providers.settings.settings();
    switch (settings.mode) {
      case "db_auth":
        return this.users.authenticate(username, password);
      case "ldap_auth":
        return this.providers.ldap.authenticate(settings.ldap, username, password);
      case "oidc_auth":
        return cliSecrets ? this.providers.cliSecrets.authenticate(settings.oidc, username, password) : undefined;
    }
  }
}
