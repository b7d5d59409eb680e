import { isAbsolute, join, resolve } from "node:path";
import { backendConfig, type ConfigError, flag, int, z, parseAll, parseConfig, serviceEnv, databaseEnv, redisEnv, httpUrl } from "@berth/config";
import { dataKeyPath } from "@berth/secrets";
import { storageConfigFromEnv, type StorageConfig } from "@berth/storage";

const schema = z
  .object({
    ...serviceEnv,
    ...databaseEnv,
    ...redisEnv,
    BERTH_DATA_DIR: z.string().min(1).default("./.data"),
    BERTH_EXTERNAL_URL: httpUrl.default("http://127.0.0.1:8080"),
    /** PEM certificate (or public key) whose key verifies tokens; core writes it at its start. */
    BERTH_TOKEN_CERT_FILE: z.string().min(1).optional(),
    BERTH_TOKEN_SERVICE: z.string().min(1).default("berth-registry"),
    BERTH_TOKEN_ISSUER: z.string().min(1).default("berth-token-issuer"),
    BERTH_TOKEN_REALM: httpUrl.optional(),
    /** `GET /debug/memory` on the registry's own port (forced GC, then memory usage); tests use it. */
    BERTH_DEBUG_MEMORY: flag.default(false),
    /** The data key opening proxy cache endpoints' credentials; default `${BERTH_DATA_DIR}/secrets/data-key`. */
    BERTH_DATA_KEY_FILE: z.string().min(1).optional(),
    /** Proxy cache: how long an upstream's answer to a tag's HEAD stands before the tag is asked about again (s; 0: every pull). */
    BERTH_PROXY_REVALIDATE_SECONDS: int(0, 7 * 24 * 3600).default(60),
    /** Proxy cache: how long to wait for the upstream's answer before serving the cached copy (or failing a miss) (s). */
    BERTH_PROXY_UPSTREAM_TIMEOUT_SECONDS: int(1, 600).default(10),
  })
  .transform((env) => {
    const dataDir = isAbsolute(env.BERTH_DATA_DIR) ? env.BERTH_DATA_DIR : resolve(env.BERTH_DATA_DIR);
    return {
      ...backendConfig(env),
      dataDir,
      externalUrl: env.BERTH_EXTERNAL_URL,
      debugMemory: env.BERTH_DEBUG_MEMORY,
      dataKeyFile: env.BERTH_DATA_KEY_FILE ?? dataKeyPath(dataDir),
      proxy: {
        revalidateMs: env.BERTH_PROXY_REVALIDATE_SECONDS * 1000,
        upstreamTimeoutMs: env.BERTH_PROXY_UPSTREAM_TIMEOUT_SECONDS * 1000,
      },
      token: {
        certFile: env.BERTH_TOKEN_CERT_FILE ?? join(dataDir, "secrets", "token", "tls.crt"),
        service: env.BERTH_TOKEN_SERVICE,
        issuer: env.BERTH_TOKEN_ISSUER,
        realm: env.BERTH_TOKEN_REALM ?? `${env.BERTH_EXTERNAL_URL}/service/token`,
      },
    };
  });

export type RegistryConfig = z.output<typeof schema> & { storage: StorageConfig };

/**
 * The registry's configuration from `env`: service, database, Redis, token settings and the
 * storage driver (`BERTH_STORAGE_*`; by default the filesystem under `${BERTH_DATA_DIR}/registry`).
 * Every problem is reported at once in one {@link ConfigError}.
 */
export function loadConfig(env: Record<string, string | undefined>): RegistryConfig {
  const dataDir = resolve(env["BERTH_DATA_DIR"] || "./.data");
  const { base, storage } = parseAll({
    base: () => parseConfig(schema, env),
    storage: () => storageConfigFromEnv(env, { dataDir }),
  });
  return { ...base, storage };
}
