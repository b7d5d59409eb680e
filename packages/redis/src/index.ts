/**
 * The one way Berth services connect to Redis. Redis holds only queues, caches and counters:
 * losing it must never stop logins, pushes or pulls. Two kinds of connection:
 * - request paths (the default): a command that gets no answer within `commandTimeoutMs` fails
 *   (a stalled Redis — stopped, partitioned — never answers, and keeps the connection open), and
 *   commands fail at once instead of queueing while it is disconnected;
 * - queues (`forQueues`, BullMQ's connections): blocking commands, so no command timeout, offline
 *   queue on and `maxRetriesPerRequest: null`, as BullMQ requires; a stall delays jobs instead.
 * Reconnection goes on in the background for both.
 */
import { Redis } from "ioredis";
import type { Logger } from "@berth/logger";

export type { Redis };

/** Default longest wait for one command's answer on request paths (ms). */
export const REQUEST_COMMAND_TIMEOUT_MS = 1_000;

export interface RedisOptions {
  /** A BullMQ connection: no command timeout, offline queue on, `maxRetriesPerRequest: null`. */
  forQueues?: boolean;
  /** Request paths: longest wait for a command's answer (ms, default {@link REQUEST_COMMAND_TIMEOUT_MS}). */
  commandTimeoutMs?: number;
}

export function createRedisClient(url: string, logger: Logger, options: RedisOptions = {}): Redis {
  const log = logger.child({ module: "redis" });
  const client = new Redis(url, {
    lazyConnect: false,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
    ...(options.forQueues
      ? { enableOfflineQueue: true, maxRetriesPerRequest: null }
      : { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: options.commandTimeoutMs ?? REQUEST_COMMAND_TIMEOUT_MS }),
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
