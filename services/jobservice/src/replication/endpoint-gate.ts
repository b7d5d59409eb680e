/**
 * A registry endpoint's limits, held across every jobservice process through Redis: at most
 * `requests_per_second` requests start per second (rate-limiter-flexible's Redis limiter) and at
 * most `max_concurrency` are in flight (redis-semaphore: a slot is held until the response body
 * is done, so a blob stream holds one for its whole length; a process killed -9 loses its slots
 * after the lock timeout). Waiting for either gives way to a stop at once.
 */
import type { RequestGate } from "@berth/distribution-client";
import { sleep } from "@berth/distribution-client";
import type { Redis } from "@berth/redis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { Semaphore } from "redis-semaphore";

export interface EndpointLimits {
  id: number;
  requestsPerSecond: number;
  maxConcurrency: number;
}

/** How long a slot survives its holder's death (it is refreshed while held). */
const SLOT_TIMEOUT_MS = 30_000;

export class EndpointGate implements RequestGate {
  readonly #rate: RateLimiterRedis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly limits: EndpointLimits,
    private readonly prefix: string,
  ) {
    this.#rate =
      limits.requestsPerSecond > 0
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:replication:rate`, points: limits.requestsPerSecond, duration: 1 })
        : undefined;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.#rate) {
      for (;;) {
        try {
          await this.#rate.consume(String(this.limits.id));
          break;
        } catch (res) {
          if (!(res instanceof RateLimiterRes)) throw res;
          await sleep(Math.max(5, res.msBeforeNext), signal);
        }
      }
    }
    if (this.limits.maxConcurrency <= 0) return () => undefined;
    const slot = new Semaphore(this.redis, `${this.prefix}:replication:concurrency:${this.limits.id}`, this.limits.maxConcurrency, {
      lockTimeout: SLOT_TIMEOUT_MS,
      refreshInterval: SLOT_TIMEOUT_MS / 3,
      acquireTimeout: 24 * 3600_000,
      retryInterval: 20,
    });
    await slot.acquire(signal);
    return () => void slot.release().catch(() => undefined);
  }
}
