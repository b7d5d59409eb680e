import path from "node:path";
import { dataKeyPath } from "@berth/secrets";
import { storageConfigFromEnv, type StorageConfig } from "@berth/storage";
import { backendConnections, flag, int, z, parseAll, parseConfig, serviceEnv, databaseEnv, redisEnv, httpUrl } from "@berth/config";


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
    BERTH_DATA_DIR: z.string().min(1).default("./.data"),
    /** The token signing key and certificate; default `${BERTH_DATA_DIR}/secrets/token/tls.{key,crt}`. */
    BERTH_TOKEN_KEY_FILE: z.string().min(1).optional(),
    BERTH_TOKEN_CERT_FILE: z.string().min(1).optional(),
    /** The data key sealing stored credentials; default `${BERTH_DATA_DIR}/secrets/data-key` (created by the launcher). */
    BERTH_DATA_KEY_FILE: z.string().min(1).optional(),
    BERTH_TOKEN_EXPIRATION_MINUTES: int(1, 1440).default(30),
    BERTH_TOKEN_SERVICE: z.string().min(1).default("berth-registry"),
    BERTH_TOKEN_ISSUER: z.string().min(1).default("berth-token-issuer"),
    BERTH_AUDIT_RETENTION_DAYS: int(1, 36_500).default(90),
    /** Refuse webhook targets on private, link-local and loopback addresses (jobservice enforces it too). */
    BERTH_WEBHOOK_DENY_PRIVATE: flag.default(false),
    /** Failed logins per user and per client address within the window before 429. */
    BERTH_LOGIN_MAX_FAILURES: int(1, 10_000).default(10),
    BERTH_LOGIN_FAILURE_WINDOW_SECONDS: int(1, 86_400).default(300),
    BERTH_SESSION_TIMEOUT_MINUTES: int(1, 10_080).default(60),
    /** Verified Basic credentials are reused this long (auth/credential-cache.ts); 0: never. */
    BERTH_CREDENTIAL_CACHE_SECONDS: int(0, 3600).default(300),
    BERTH_CREDENTIAL_CACHE_ENTRIES: int(1, 1_000_000).default(10_000),
  })
  .transform((env) => {
    const tokenDir = path.join(env.BERTH_DATA_DIR, "secrets", "token");
    return {
      host: env.BERTH_HOST,
      port: env.BERTH_PORT,
      logLevel: env.BERTH_LOG_LEVEL,
      ...backendConnections(env),
      adminPassword: env.BERTH_ADMIN_PASSWORD,
      externalUrl: env.BERTH_EXTERNAL_URL,
      dataDir: env.BERTH_DATA_DIR,
      dataKeyFile: env.BERTH_DATA_KEY_FILE ?? dataKeyPath(env.BERTH_DATA_DIR),
      services: {
        registry: env.BERTH_REGISTRY_URL,
        jobservice: env.BERTH_JOBSERVICE_URL,
        scannerAdapter: env.BERTH_SCANNER_ADAPTER_URL,
        logCollector: env.BERTH_LOG_COLLECTOR_URL,
      },
      token: {
        keyFile: env.BERTH_TOKEN_KEY_FILE ?? path.join(tokenDir, "tls.key"),
        certFile: env.BERTH_TOKEN_CERT_FILE ?? path.join(tokenDir, "tls.crt"),
        expirationMinutes: env.BERTH_TOKEN_EXPIRATION_MINUTES,
        service: env.BERTH_TOKEN_SERVICE,
        issuer: env.BERTH_TOKEN_ISSUER,
      },
      auditRetentionDays: env.BERTH_AUDIT_RETENTION_DAYS,
      webhookDenyPrivate: env.BERTH_WEBHOOK_DENY_PRIVATE,
      loginRateLimit: { maxFailures: env.BERTH_LOGIN_MAX_FAILURES, windowSeconds: env.BERTH_LOGIN_FAILURE_WINDOW_SECONDS },
      sessionTimeoutMinutes: env.BERTH_SESSION_TIMEOUT_MINUTES,
      credentialCache: { ttlMs: env.BERTH_CREDENTIAL_CACHE_SECONDS * 1000, maxEntries: env.BERTH_CREDENTIAL_CACHE_ENTRIES },
    };
  });

/** Core's settings and the registry's storage (same `BERTH_STORAGE_*` and default as the registry). */
export type CoreConfig = z.output<typeof schema> & { storage: StorageConfig };

/** Every problem of core's own settings and of its storage settings, at once. */
export function loadConfig(env: Record<string, string | undefined>): CoreConfig {
  const { base, storage } = parseAll({
    base: () => parseConfig(schema, env),
    storage: () => storageConfigFromEnv(env, { dataDir: env["BERTH_DATA_DIR"] || "./.data" }),
  });
  return { ...base, storage };
}
