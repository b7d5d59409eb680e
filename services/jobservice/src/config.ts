import path from "node:path";
import { backendConfig, flag, int, z, parseAll, parseConfig, serviceEnv, databaseEnv, redisEnv, httpUrl } from "@berth/config";
import { QUEUE_NAMES, type QueueName } from "@berth/queue";
import { dataKeyPath } from "@berth/secrets";
import { storageConfigFromEnv, type StorageConfig } from "@berth/storage";


/** `BERTH_QUEUE_CONCURRENCY_<QUEUE>` per queue (upper-case), falling back to `BERTH_QUEUE_CONCURRENCY`. */
const concurrencyEnv = Object.fromEntries(QUEUE_NAMES.map((q) => [`BERTH_QUEUE_CONCURRENCY_${q.toUpperCase()}`, int(1, 1000).optional()])) as Record<
  `BERTH_QUEUE_CONCURRENCY_${Uppercase<QueueName>}`,
  z.ZodOptional<z.ZodCoercedNumber>
>;

const DEFAULT_CONCURRENCY: Record<QueueName, number> = { events: 10, webhooks: 20, maintenance: 1, gc: 1, scans: 4, replication: 8, retention: 2 };
/** Queues whose concurrency is not configurable: one garbage collection at a time per process. */
const FIXED_CONCURRENCY: Partial<Record<QueueName, number>> = { gc: 1 };

const schema = z
  .object({
    ...serviceEnv,
    ...databaseEnv,
    ...redisEnv,
    /** Prefix of BullMQ's keys in Redis, so instances can share one Redis. */
    BERTH_QUEUE_PREFIX: z.string().regex(/^[a-z0-9:_-]+$/).default("berth"),
    /** Default concurrency of every queue's workers (per process). */
    BERTH_QUEUE_CONCURRENCY: int(1, 1000).optional(),
    ...concurrencyEnv,
    /** Where the registry's default filesystem storage lives (`<dir>/registry`), as for the registry. */
    BERTH_DATA_DIR: z.string().min(1).default("./.data"),
    /** The URL clients reach Berth at: webhook payloads' resource URLs and callback URLs. */
    BERTH_EXTERNAL_URL: httpUrl.default("http://127.0.0.1:8080"),
    /** How often the outbox relay looks for unpublished events (ms). */
    BERTH_RELAY_POLL_MS: int(20, 60_000).default(250),
    /** Refuse webhook addresses resolving to private, loopback or link-local ranges. */
    BERTH_WEBHOOK_DENY_PRIVATE: flag.default(false),
    /** Per-attempt timeout of a webhook delivery (ms). */
    BERTH_WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(10_000),
    /** The data key opening stored credentials; default `${BERTH_DATA_DIR}/secrets/data-key`. */
    BERTH_DATA_KEY_FILE: z.string().min(1).optional(),
    /** Chunk size of replication's `copy_by_chunk` copies (MiB). */
    BERTH_REPLICATION_CHUNK_MIB: int(1, 1024).default(16),
    /** Validity of DockerHub-format callback URLs (hours). */
    BERTH_WEBHOOK_CALLBACK_TTL_HOURS: int(1, 24 * 30).default(24),
    /** Core's token signing key and certificate (scan jobs sign their pull credential); defaults as core's. */
    BERTH_TOKEN_KEY_FILE: z.string().min(1).optional(),
    BERTH_TOKEN_CERT_FILE: z.string().min(1).optional(),
    BERTH_TOKEN_SERVICE: z.string().min(1).default("berth-registry"),
    BERTH_TOKEN_ISSUER: z.string().min(1).default("berth-token-issuer"),
    /** The registry URL scanner adapters pull from (the scan request's `registry.url`); default BERTH_EXTERNAL_URL. */
    BERTH_SCANNER_REGISTRY_URL: httpUrl.optional(),
    /** How long a scan may take (its pull credential lasts as long). */
    BERTH_SCAN_TIMEOUT_MINUTES: int(1, 24 * 60).default(30),
    /**
     * BullMQ's job lock (s): a worker that does not renew it for this long is taken as stalled and
     * its job goes to another worker (the work itself stays guarded by PostgreSQL locks).
     */
    BERTH_QUEUE_LOCK_SECONDS: int(1, 3600).default(30),
  })
  .transform((env) => ({
    ...backendConfig(env),
    queuePrefix: env.BERTH_QUEUE_PREFIX,
    concurrency: Object.fromEntries(
      QUEUE_NAMES.map((q) => [q, FIXED_CONCURRENCY[q] ?? env[`BERTH_QUEUE_CONCURRENCY_${q.toUpperCase() as Uppercase<QueueName>}`] ?? env.BERTH_QUEUE_CONCURRENCY ?? DEFAULT_CONCURRENCY[q]]),
    ) as Record<QueueName, number>,
    externalUrl: env.BERTH_EXTERNAL_URL,
    dataKeyFile: env.BERTH_DATA_KEY_FILE ?? dataKeyPath(env.BERTH_DATA_DIR),
    replication: { chunkSize: env.BERTH_REPLICATION_CHUNK_MIB * 1024 * 1024 },
    relayPollMs: env.BERTH_RELAY_POLL_MS,
    scanning: {
      tokenKeyFile: env.BERTH_TOKEN_KEY_FILE ?? path.join(env.BERTH_DATA_DIR, "secrets", "token", "tls.key"),
      tokenCertFile: env.BERTH_TOKEN_CERT_FILE ?? path.join(env.BERTH_DATA_DIR, "secrets", "token", "tls.crt"),
      token: { issuer: env.BERTH_TOKEN_ISSUER, service: env.BERTH_TOKEN_SERVICE },
      registryUrl: env.BERTH_SCANNER_REGISTRY_URL ?? env.BERTH_EXTERNAL_URL,
      timeoutMs: env.BERTH_SCAN_TIMEOUT_MINUTES * 60_000,
    },
    queueLockMs: env.BERTH_QUEUE_LOCK_SECONDS * 1000,
    webhook: {
      denyPrivate: env.BERTH_WEBHOOK_DENY_PRIVATE,
      timeoutMs: env.BERTH_WEBHOOK_TIMEOUT_MS,
      callbackTtlMs: env.BERTH_WEBHOOK_CALLBACK_TTL_HOURS * 3600 * 1000,
    },
  }));

export type JobserviceConfig = z.output<typeof schema> & { storage: StorageConfig };

/**
 * Jobservice's configuration from `env`, including the registry's storage (`BERTH_STORAGE_*`,
 * default the filesystem under `${BERTH_DATA_DIR}/registry`, the same helper as the registry's):
 * garbage collection deletes blobs and `promote_tag` reads manifests there.
 */
export function loadConfig(env: Record<string, string | undefined>): JobserviceConfig {
  const { base, storage } = parseAll({
    base: () => parseConfig(schema, env),
    storage: () => storageConfigFromEnv(env, { dataDir: env["BERTH_DATA_DIR"] || "./.data" }),
  });
  return { ...base, storage };
}
