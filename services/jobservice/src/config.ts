import { z, parseConfig, serviceEnv, databaseEnv, redisEnv } from "@berth/config";

const schema = z
  .object({
    ...serviceEnv,
    ...databaseEnv,
    ...redisEnv,
    /** Prefix of BullMQ's keys in Redis, so instances can share one Redis. */
    BERTH_QUEUE_PREFIX: z.string().regex(/^[a-z0-9:_-]+$/).default("berth"),
  })
  .transform((env) => ({
    host: env.BERTH_HOST,
    port: env.BERTH_PORT,
    logLevel: env.BERTH_LOG_LEVEL,
    logCollectorUrl: env.BERTH_LOG_COLLECTOR_URL,
    databaseUrl: env.BERTH_DATABASE_URL,
    redisUrl: env.BERTH_REDIS_URL,
    queuePrefix: env.BERTH_QUEUE_PREFIX,
  }));

export type JobserviceConfig = z.output<typeof schema>;

export function loadConfig(env: Record<string, string | undefined>): JobserviceConfig {
  return parseConfig(schema, env);
}
