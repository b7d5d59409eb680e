import type { Logger } from "@berth/logger";
import type { Redis } from "@berth/redis";

export interface RateLimitOptions {
  /** Failures allowed per key within the window before further attempts are refused. */
  maxFailures: number;
  windowSeconds: number;
  /** Redis key prefix (default `berth:login-failures:`); tests use their own. */
  keyPrefix?: string;
}

/**
 * Failed-login counters in Redis, per user and per client address. With Redis unreachable the
 * limiter fails open (logins keep working) and says so in the logs, at most once a minute.
 */
export class LoginRateLimiter {
  private readonly log: Logger;
  private lastWarning = 0;

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

  private failOpen(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning > 60_000) {
      this.lastWarning = now;
      this.log.warn("login rate limiting is off: redis is unavailable (failing open)", { err: (err as Error).message });
    }
  }

  /** Seconds until the caller may try again when any key is over its limit, else `undefined`. */
  async blockedFor(keys: string[]): Promise<number | undefined> {
    if (!this.redis) return undefined;
    try {
      const pipeline = this.redis.multi();
      for (const k of keys) pipeline.get(this.key(k)).ttl(this.key(k));
      const results = (await pipeline.exec()) ?? [];
      let wait: number | undefined;
      for (let i = 0; i < keys.length; i++) {
        const count = Number(results[i * 2]?.[1] ?? 0);
        const ttl = Number(results[i * 2 + 1]?.[1] ?? -1);
        if (count >= this.options.maxFailures) wait = Math.max(wait ?? 1, ttl > 0 ? ttl : this.options.windowSeconds);
      }
      return wait;
    } catch (err) {
      this.failOpen(err);
      return undefined;
    }
  }

  async recordFailure(keys: string[]): Promise<void> {
    if (!this.redis) return;
    try {
      const pipeline = this.redis.multi();
      for (const k of keys) pipeline.incr(this.key(k)).expire(this.key(k), this.options.windowSeconds, "NX");
      await pipeline.exec();
    } catch (err) {
      this.failOpen(err);
    }
  }

  /** Clears a key after a successful login (the per-user counter, not the address's). */
  async reset(key: string): Promise<void> {
    if (!this.redis) return;
    try {
      await this.redis.del(this.key(key));
    } catch (err) {
      this.failOpen(err);
    }
  }
}
