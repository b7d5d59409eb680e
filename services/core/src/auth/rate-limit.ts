import { LogThrottle } from "@berth/http";
import type { Logger } from "@berth/logger";
import type { Redis } from "@berth/redis";

export interface RateLimitOptions {
  /** Failures allowed per key within the window before further attempts are refused. */
  maxFailures: number;
  windowSeconds: number;
  /** Redis key prefix (default `berth:login-failures:`); tests use their own. */
  keyPrefix?: string;
  /** After a Redis failure, how long logins skip the limiter before trying Redis again (ms, default 5 000). */
  pauseAfterFailureMs?: number;
}

/**
 * Failed-login counters in Redis, per user and per client address. With Redis unreachable or
 * stalled (its client gives up on a command within a second) the limiter fails open: logins keep
 * working, and say so in the logs at most once a minute. After a failure the limiter pauses for
 * a few seconds, so a stalled Redis does not add a command timeout to every login.
 */
export class LoginRateLimiter {
  private readonly log: Logger;
  private readonly warnings = new LogThrottle(60_000);
  /** `performance.now()` until which Redis is not asked (it just failed). */
  private pausedUntil = 0;

  constructor(
    private readonly redis: Redis | undefined,
    private readonly options: RateLimitOptions,
    logger: Logger,
  ) {
    this.log = logger.child({ module: "rate-limit" });
  }

  private key(k: string): string {
    return `${this.options.keyPrefix ?? "berth:login-failures:"}${k}`;
  }

  /** A Redis call failed: pause, and say (at most once a minute) that logins go unlimited. */
  private failOpen(err: unknown): void {
    this.pausedUntil = performance.now() + (this.options.pauseAfterFailureMs ?? 5_000);
    this.reportFailOpen(err);
  }

  private reportFailOpen(err?: unknown): void {
    this.warnings.run((heldBack) =>
      this.log.warn("login rate limiting is off: redis is unavailable (failing open)", {
        ...(err !== undefined && { err: (err as Error).message }),
        unlimitedSinceLast: heldBack,
      }),
    );
  }

  /** Redis to ask, or `undefined` without one or while paused after a failure (failing open). */
  private get client(): Redis | undefined {
    if (this.redis === undefined) return undefined;
    if (performance.now() < this.pausedUntil) {
      this.reportFailOpen();
      return undefined;
    }
    return this.redis;
  }

  /**
   * The failures counted against each key (0 each without Redis or while failing open) and the
   * seconds until the caller may try again when any key is over its limit (else `undefined`).
   */
  async status(keys: string[]): Promise<{ waitSeconds: number | undefined; failures: number[] }> {
    const redis = this.client;
    if (!redis) return { waitSeconds: undefined, failures: keys.map(() => 0) };
    try {
      const pipeline = redis.multi();
      for (const k of keys) pipeline.get(this.key(k)).ttl(this.key(k));
      const results = (await pipeline.exec()) ?? [];
      let wait: number | undefined;
      const failures = keys.map((_k, i) => {
        const count = Number(results[i * 2]?.[1] ?? 0);
        const ttl = Number(results[i * 2 + 1]?.[1] ?? -1);
        if (count >= this.options.maxFailures) wait = Math.max(wait ?? 1, ttl > 0 ? ttl : this.options.windowSeconds);
        return count;
      });
      return { waitSeconds: wait, failures };
    } catch (err) {
      this.failOpen(err);
      return { waitSeconds: undefined, failures: keys.map(() => 0) };
    }
  }

  async recordFailure(keys: string[]): Promise<void> {
    const redis = this.client;
    if (!redis) return;
    try {
      const pipeline = redis.multi();
      for (const k of keys) pipeline.incr(this.key(k)).expire(this.key(k), this.options.windowSeconds, "NX");
      await pipeline.exec();
    } catch (err) {
      this.failOpen(err);
    }
  }

  /** Clears a key after a successful login (the per-user counter, not the address's). */
  async reset(key: string): Promise<void> {
    const redis = this.client;
    if (!redis) return;
    try {
      await redis.del(this.key(key));
    } catch (err) {
      this.failOpen(err);
    }
  }
}
