/**
 * The one way Berth services connect to Redis. Redis holds only queues, caches and counters:
 * losing it must never stop logins, pushes or pulls, so commands fail fast instead of queueing
 * while it is down, and reconnection goes on in the background.
 */
import { Redis } from "ioredis";
import type { Logger } from "@berth/logger";

export type { Redis };

export interface RedisOptions {
  /** BullMQ requires `null` (blocking commands); everything else fails a command after one retry. */
  forQueues?: boolean;
}

export function createRedisClient(url: string, logger: Logger, options: RedisOptions = {}): Redis {
  const log = logger.child({ module: "redis" });
  const client = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: options.forQueues ?? false,
    maxRetriesPerRequest: options.forQueues ? null : 1,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  });
  let down = false;
  client.on("error", (err: Error) => {
    if (!down) log.warn("redis unavailable; features that need it degrade until it returns", { err: err.message });
    down = true;
  });
  client.on("ready", () => {
    if (down) log.info("redis connection restored");
    down = false;
  });
  return client;
}

/** Readiness check: PING answered. */
export async function pingRedis(client: Redis): Promise<void> {
  const answer = await client.ping();
  if (answer !== "PONG") throw new Error(`unexpected PING answer ${answer}`);
}

/** Closes the connection, falling back to a hard disconnect when Redis does not answer. */
export async function closeRedis(client: Redis): Promise<void> {
  try {
    await Promise.race([client.quit(), new Promise((_, r) => setTimeout(() => r(new Error("quit timeout")), 1_000).unref())]);
  } catch {
    client.disconnect();
  }
}
