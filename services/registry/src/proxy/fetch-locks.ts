/**
 * Single-flight across registry replicas: one process fetches a missing blob from the upstream,
 * the others wait for it to appear. A Redis key (`SET NX PX`) held by a token, renewed while the
 * fetch runs and removed by its holder only; a holder that dies lets it expire. Redis unreachable:
 * the lock fails open (the fetch runs, perhaps twice) and says so in the logs.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@berth/logger";
import type { Redis } from "@berth/redis";

/** A held lock. */
export interface Lease {
  release(): Promise<void>;
}

export interface FetchLocks {
  /** The lease, or undefined when another holder has it. */
  tryAcquire(key: string): Promise<Lease | undefined>;
  /** Whether someone holds `key` (false when unknown). */
  held(key: string): Promise<boolean>;
}

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

export class RedisFetchLocks implements FetchLocks {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly ttlMs = 30_000,
    private readonly prefix = "berth:proxy:lock:",
  ) {}

  async tryAcquire(key: string): Promise<Lease | undefined> {
    const name = this.prefix + key;
    const token = randomUUID();
    let ok: string | null;
    try {
      ok = await this.redis.set(name, token, "PX", this.ttlMs, "NX");
    } catch (err) {
      this.logger.warn("proxy cache: Redis unavailable, fetching without the cross-replica lock", { key, err });
      return { release: async () => undefined };
    }
    if (ok !== "OK") return undefined;
    const timer = setInterval(() => {
      this.redis.eval(RENEW, 1, name, token, String(this.ttlMs)).catch((err: unknown) => this.logger.warn("proxy cache: could not renew a fetch lock", { key, err }));
    }, Math.floor(this.ttlMs / 3));
    timer.unref();
    return {
      release: async () => {
        clearInterval(timer);
        await this.redis.eval(RELEASE, 1, name, token).catch(() => undefined);
      },
    };
  }

  async held(key: string): Promise<boolean> {
    return (await this.redis.exists(this.prefix + key).catch(() => 0)) === 1;
  }
}
