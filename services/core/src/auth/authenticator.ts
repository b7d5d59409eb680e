import { operatorTypeOf } from "@berth/audit";
import type { Logger } from "@berth/logger";
import type { AuditStore } from "../audit/audit-store.js";
import { RateLimitedError } from "../errors.js";
import type { RobotStore } from "../robots/robot-store.js";
import type { UserStore } from "../users/user-store.js";
import type { Principal } from "./principal.js";
import type { LoginRateLimiter } from "./rate-limit.js";

/**
 * Checks a username/password pair for a user or (name starting `robot$`) a robot, behind the
 * failed-login limiter. Failures are audited (`login_failed`). Used by the API's Basic auth, the
 * token service and the browser login.
 */
export class Authenticator {
  private readonly log: Logger;

  constructor(
    private readonly users: UserStore,
    private readonly robots: RobotStore,
    private readonly limiter: LoginRateLimiter,
    private readonly audit: AuditStore,
    logger: Logger,
  ) {
    this.log = logger.child({ module: "authenticator" });
  }

  /** The principal, or `undefined` for wrong credentials; throws 429 while rate limited. */
  async check(username: string, password: string, clientAddress: string, options: { allowRobots?: boolean } = {}): Promise<Principal | undefined> {
    const keys = [`user:${username}`, `addr:${clientAddress}`];
    const wait = await this.limiter.blockedFor(keys);
    if (wait !== undefined) throw new RateLimitedError("too many failed login attempts; try again later", wait);

    const isRobot = operatorTypeOf(username) === "robot";
    const principal =
      isRobot && options.allowRobots !== false ? await this.robots.authenticate(username, password) : isRobot ? undefined : await this.users.authenticate(username, password);
    if (principal) {
      await this.limiter.reset(`user:${username}`);
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
}
