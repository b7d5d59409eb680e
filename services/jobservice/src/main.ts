import { loadConfigOrExit } from "@berth/config";
import { createPrismaClient, JOB_LIMITS } from "@berth/db";
import { listen, onShutdown } from "@berth/http";
import { closeLogger, createLogger } from "@berth/logger";
import { closeRedis, createRedisClient, pingRedis } from "@berth/redis";
import { createRegistryStore } from "@berth/registry-store";
import { loadDataKeyForService } from "@berth/secrets";
import { createStorageDriver } from "@berth/storage";
import { loadSigningKey } from "@berth/token";
import { createApp } from "./app.js";
import { loadConfig } from "./config.js";
import { SessionLocks } from "./executions/session-locks.js";
import { createJobservice } from "./jobservice.js";
import { startProcessMetrics } from "@berth/metrics";

// A missing or malformed data key is a configuration problem (exit 2, no stack trace).
const config = loadConfigOrExit("jobservice", () => {
  const parsed = loadConfig(process.env);
  return { ...parsed, dataKey: loadDataKeyForService(parsed.dataKeyFile) };
});
startProcessMetrics("jobservice");
const logger = createLogger({ service: "jobservice", level: config.logLevel, collectorUrl: config.logCollectorUrl });
// All of jobservice's database work is jobs: the longer job bounds (a stall delays jobs, docs/operations.md).
const db = createPrismaClient(config.databaseUrl, { applicationName: "jobservice", limits: { ...JOB_LIMITS, ...config.databaseLimits.jobs } });
// BullMQ's connection (no command timeout) and, for the readiness probe, a request-path one.
const redis = createRedisClient(config.redisUrl, logger, { forQueues: true });
const probeRedis = createRedisClient(config.redisUrl, logger, { commandTimeoutMs: config.redisCommandTimeoutMs });
// The registry's storage (same BERTH_STORAGE_* settings and default root as the registry):
// garbage collection deletes blobs there; promote_tag tags through registry-store.
const driver = await createStorageDriver(config.storage);
const registry = createRegistryStore({ db, driver, onPullFlushError: (err) => logger.warn("dropped a batch of pull events", { err }) });
// One connection per lock held: every webhook delivery and the GC sweep at once, plus a margin.
const locks = new SessionLocks(config.databaseUrl, { max: config.concurrency.webhooks + config.concurrency.replication + config.concurrency.gc + 2, applicationName: "jobservice-locks" });
const jobservice = createJobservice({
  db,
  locks,
  queueLockMs: config.queueLockMs,
  redis,
  logger,
  prefix: config.queuePrefix,
  concurrency: config.concurrency,
  externalUrl: config.externalUrl,
  relayPollMs: config.relayPollMs,
  webhook: config.webhook,
  storage: { driver, registry },
  // Registry endpoints' and scanner registrations' credentials are sealed with the data key the launcher creates.
  dataKey: config.dataKey,
  replication: config.replication,
  scanning: {
    signingKey: () => loadSigningKey(config.scanning.tokenKeyFile, config.scanning.tokenCertFile),
    token: config.scanning.token,
    registryUrl: config.scanning.registryUrl,
    timeoutMs: config.scanning.timeoutMs,
  },
});

const app = createApp({
  logger,
  queues: jobservice.queues.all(),
  readiness: {
    database: async () => db.$queryRaw`SELECT 1`,
    redis: async () => {
      if (redis.status !== "ready") throw new Error(`redis is ${redis.status}`);
      await pingRedis(probeRedis);
    },
  },
});
await jobservice.start();
const server = await listen(app, config.host, config.port);
logger.info(`jobservice listening on ${config.host}:${config.port}`, { concurrency: config.concurrency });
onShutdown(logger, server, [() => jobservice.stop(), () => locks.close(), () => registry.close(), async () => driver.close?.(), () => db.$disconnect(), () => closeRedis(redis), () => closeRedis(probeRedis), () => closeLogger(logger)]);
