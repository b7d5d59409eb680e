import { dataKeyPath } from "@berth/secrets";
import { databaseEnv, httpUrl, int, logLevel, parseConfig, redisEnv, serviceEnv, z } from "@berth/config";
import { refineTls, tlsEnv, tlsSource } from "@berth/tls";

const schema = z
  .object({
    ...databaseEnv,
    ...redisEnv,
    BERTH_LOG_LEVEL: logLevel.default("info"),
    BERTH_LOG_COLLECTOR_URL: serviceEnv.BERTH_LOG_COLLECTOR_URL,
    BERTH_DATA_DIR: z.string().min(1).default("/data"),
    /** The data key (created here on the first start); default `${BERTH_DATA_DIR}/secrets/data-key`. */
    BERTH_DATA_KEY_FILE: z.string().min(1).optional(),
    /** How long to wait for PostgreSQL and Redis to answer before giving up. */
    BERTH_PREPARE_TIMEOUT_SECONDS: int(1, 86_400).default(300),
    /** The URL clients use: a generated certificate names its host. */
    BERTH_EXTERNAL_URL: httpUrl,
    ...tlsEnv,
  })
  .check(z.superRefine(refineTls, { when: () => true }))
  .transform((env) => ({
    databaseUrl: env.BERTH_DATABASE_URL,
    redisUrl: env.BERTH_REDIS_URL,
    logLevel: env.BERTH_LOG_LEVEL,
    logCollectorUrl: env.BERTH_LOG_COLLECTOR_URL,
    dataDir: env.BERTH_DATA_DIR,
    dataKeyFile: env.BERTH_DATA_KEY_FILE ?? dataKeyPath(env.BERTH_DATA_DIR),
    timeoutMs: env.BERTH_PREPARE_TIMEOUT_SECONDS * 1000,
    externalUrl: env.BERTH_EXTERNAL_URL,
    tls: tlsSource(env),
  }));

export type PrepareConfig = z.output<typeof schema>;

/** The prepare step's settings (empty values count as unset, as compose files often pass `VAR=`). */
export function loadPrepareConfig(env: Record<string, string | undefined>): PrepareConfig {
  return parseConfig(schema, Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== "")));
}
