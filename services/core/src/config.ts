import { z, parseConfig, serviceEnv, databaseEnv, redisEnv, httpUrl } from "@berth/config";

const schema = z
  .object({
    ...serviceEnv,
    ...databaseEnv,
    ...redisEnv,
    /** Password of `admin` when the account is first created; ignored afterwards. */
    BERTH_ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters"),
    BERTH_EXTERNAL_URL: httpUrl,
    BERTH_REGISTRY_URL: httpUrl,
    BERTH_JOBSERVICE_URL: httpUrl,
    BERTH_SCANNER_ADAPTER_URL: httpUrl,
    BERTH_LOG_COLLECTOR_URL: httpUrl,
  })
  .transform((env) => ({
    host: env.BERTH_HOST,
    port: env.BERTH_PORT,
    logLevel: env.BERTH_LOG_LEVEL,
    databaseUrl: env.BERTH_DATABASE_URL,
    redisUrl: env.BERTH_REDIS_URL,
    adminPassword: env.BERTH_ADMIN_PASSWORD,
    externalUrl: env.BERTH_EXTERNAL_URL,
    services: {
      registry: env.BERTH_REGISTRY_URL,
      jobservice: env.BERTH_JOBSERVICE_URL,
      scannerAdapter: env.BERTH_SCANNER_ADAPTER_URL,
      logCollector: env.BERTH_LOG_COLLECTOR_URL,
    },
  }));

export type CoreConfig = z.output<typeof schema>;

export function loadConfig(env: Record<string, string | undefined>): CoreConfig {
  return parseConfig(schema, env);
}
