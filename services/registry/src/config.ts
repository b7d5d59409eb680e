import { z, parseConfig, serviceEnv, databaseEnv, redisEnv } from "@berth/config";

const schema = z.object({ ...serviceEnv, ...databaseEnv, ...redisEnv }).transform((env) => ({
  host: env.BERTH_HOST,
  port: env.BERTH_PORT,
  logLevel: env.BERTH_LOG_LEVEL,
  logCollectorUrl: env.BERTH_LOG_COLLECTOR_URL,
  databaseUrl: env.BERTH_DATABASE_URL,
  redisUrl: env.BERTH_REDIS_URL,
}));

export type RegistryConfig = z.output<typeof schema>;

export function loadConfig(env: Record<string, string | undefined>): RegistryConfig {
  return parseConfig(schema, env);
}
