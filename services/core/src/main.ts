import { loadConfigOrExit } from "@berth/config";
import { createPrismaClient, JOB_LIMITS } from "@berth/db";
import { createSqlClient } from "@berth/db/sql";
import { listen, onShutdown } from "@berth/http";
import { closeLogger, createLogger } from "@berth/logger";
import { closeRedis, createRedisClient, pingRedis } from "@berth/redis";
import { createRegistryStore } from "@berth/registry-store";
import { loadDataKeyForService } from "@berth/secrets";
import { createStorageDriver } from "@berth/storage";
import { SCANNER_API_KEY_PURPOSE } from "@berth/scanning";
import { createApp } from "./app.js";
import { startAuditRetention } from "./audit/audit-retention.js";
import { AuditStore } from "./audit/audit-store.js";
import { loadConfig } from "./config.js";
import { createCoreServices } from "./core-services.js";
import { readyzCheck } from "./system/health.routes.js";
import { ensureSigningKey } from "@berth/token";
import { startProcessMetrics } from "@berth/metrics";

const VERSION = "0.1.0";

// A missing or malformed data key is a configuration problem (exit 2, no stack trace).
const config = loadConfigOrExit("core", () => {
  const parsed = loadConfig(process.env);
  return { ...parsed, dataKey: loadDataKeyForService(parsed.dataKeyFile) };
});
startProcessMetrics("core");
const logger = createLogger({ service: "core", level: config.logLevel, collectorUrl: config.services.logCollector });
// Request paths wait on PostgreSQL and Redis within short bounds (503 / fail open, docs/operations.md);
// background work (audit retention) has its own pool with the longer job bounds.
const db = createPrismaClient(config.databaseUrl, { applicationName: "core", limits: config.databaseLimits.request });
const jobsDb = createPrismaClient(config.databaseUrl, { applicationName: "core-jobs", poolSize: 2, limits: { ...JOB_LIMITS, ...config.databaseLimits.jobs } });
const redis = createRedisClient(config.redisUrl, logger, { commandTimeoutMs: config.redisCommandTimeoutMs });
const signingKey = await ensureSigningKey({ ...config.token, onCreate: (msg) => logger.info(msg) });
// The registry's metadata and storage (the same BERTH_STORAGE_* settings and default as the
// registry): artifact deletes, copies, tags and quotas go through registry-store.
const driver = await createStorageDriver(config.storage);
// registry-store's SQL is raw SQL: the lean client (as in the registry) — Prisma's client layer
// cost more CPU than the queries on artifact and repository lists (docs/performance.md).
const registryDb = createSqlClient(config.databaseUrl, {
  applicationName: "core-registry",
  limits: config.databaseLimits.request,
  onPoolError: (err) => logger.warn("database pool error", { err }),
});
const registry = createRegistryStore({
  db: registryDb,
  driver,
  onPullFlushError: (err) => logger.warn("dropped a batch of pull events", { err }),
  onUsageFoldError: (err) => logger.warn("could not fold project usage deltas", { err }),
});
const services = createCoreServices({
  db,
  redis,
  logger,
  signingKey,
  token: config.token,
  loginRateLimit: config.loginRateLimit,
  sessionTimeoutMinutes: config.sessionTimeoutMinutes,
  registry,
  credentialCache: config.credentialCache,
  // Stored secrets (OIDC client secret, LDAP bind password, CLI secrets, registry endpoints'
  // credentials) are sealed with the data key the launcher or compose's prepare creates.
  dataKey: config.dataKey,
  externalUrl: config.externalUrl,
});

if (await services.users.ensureAdmin(config.adminPassword)) logger.info("created the admin account");
const admin = await services.users.findByName("admin");
if (admin && (await services.projects.ensureProject("library", true, admin.id))) logger.info("created the public project library");
// The built-in adapter, at this start's address, with the API key it expects (derived from the data key unless set).
await services.scanners.ensureBuiltIn(config.services.scannerAdapter, config.scannerApiKey ?? config.dataKey.derive(SCANNER_API_KEY_PURPOSE));
const stopRetention = startAuditRetention(new AuditStore(jobsDb), config.auditRetentionDays, logger);
const sessionSweep = setInterval(() => void services.sessions.purgeExpired().catch(() => undefined), 3_600_000);
sessionSweep.unref();

const database = async () => db.$queryRaw`SELECT 1`;
const cache = () => pingRedis(redis);
const app = createApp({
  webhookDenyPrivate: config.webhookDenyPrivate,
  logger,
  services,
  logCollectorUrl: config.services.logCollector,
  externalUrl: config.externalUrl,
  version: VERSION,
  readiness: { database, redis: cache },
  components: {
    core: async () => undefined,
    registry: readyzCheck(config.services.registry),
    jobservice: readyzCheck(config.services.jobservice),
    "scanner-adapter": readyzCheck(config.services.scannerAdapter),
    "log-collector": readyzCheck(config.services.logCollector),
    database,
    redis: cache,
  },
});
const server = await listen(app, config.host, config.port);
logger.info(`core listening on ${config.host}:${config.port}`, { externalUrl: config.externalUrl, tokenKeyId: signingKey.keyId });
onShutdown(logger, server, [
  async () => {
    stopRetention();
    clearInterval(sessionSweep);
  },
  () => registry.close(),
  async () => driver.close?.(),
  () => registryDb.$disconnect(),
  () => db.$disconnect(),
  () => jobsDb.$disconnect(),
  () => closeRedis(redis),
  () => closeLogger(logger),
]);
