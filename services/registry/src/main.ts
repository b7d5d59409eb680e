import { loadConfigOrExit } from "@berth/config";
import { createSqlClient } from "@berth/db/sql";
import { listen, onShutdown } from "@berth/http";
import { closeLogger, createLogger } from "@berth/logger";
import { closeRedis, createRedisClient, pingRedis } from "@berth/redis";
import { createRegistryStore } from "@berth/registry-store";
import { loadDataKeyForService } from "@berth/secrets";
import { CachedPullPolicy } from "@berth/scanning";
import { createStorageDriver } from "@berth/storage";
import { createApp } from "./app.js";
import { TokenAuthorizer } from "./auth/authorizer.js";
import { loadTokenKeyFile, TokenVerifier } from "./auth/token-verifier.js";
import { loadConfig } from "./config.js";
import { createProxyCache } from "./proxy/proxy-cache.js";
import { startProcessMetrics } from "@berth/metrics";

// The data key opens proxy cache endpoints' credentials (missing or malformed: exit 2 naming BERTH_DATA_KEY_FILE).
const config = loadConfigOrExit("registry", () => {
  const parsed = loadConfig(process.env);
  return { ...parsed, dataKey: loadDataKeyForService(parsed.dataKeyFile) };
});
startProcessMetrics("registry");
const logger = createLogger({ service: "registry", level: config.logLevel, collectorUrl: config.logCollectorUrl });
let publicKey;
try {
  publicKey = await loadTokenKeyFile(config.token.certFile);
} catch (err) {
  logger.error((err as Error).message);
  await closeLogger(logger);
  process.exit(1);
}
// Raw SQL over `pg` (the stores' queries are all raw SQL): Prisma's client layer cost more CPU
// than the queries on the hot paths, and its engine weighed on resident memory (docs/performance.md).
// Every use is a request path (the pull recorder's flush included): short bounds, 503 when stalled.
const db = createSqlClient(config.databaseUrl, {
  applicationName: "registry",
  limits: config.databaseLimits.request,
  onPoolError: (err) => logger.warn("database pool error", { err }),
});
// Readiness, and the proxy cache's fetch locks and tag revalidation answers.
const redis = createRedisClient(config.redisUrl, logger, { commandTimeoutMs: config.redisCommandTimeoutMs });
const driver = await createStorageDriver(config.storage);
const store = createRegistryStore({
  db,
  driver,
  onPullFlushError: (err) => logger.warn("dropped a batch of pull events", { err }),
  onUsageFoldError: (err) => logger.warn("could not fold project usage deltas (retried with the next upload)", { err }),
});
const authorizer = new TokenAuthorizer({
  verifier: new TokenVerifier({ publicKey, issuer: config.token.issuer, service: config.token.service }),
  realm: config.token.realm,
  service: config.token.service,
});

const proxy = createProxyCache({
  store,
  redis,
  logger,
  dataKey: config.dataKey,
  revalidateMs: config.proxy.revalidateMs,
  upstreamTimeoutMs: config.proxy.upstreamTimeoutMs,
});

const app = createApp({
  logger,
  store,
  authorizer,
  proxy,
  pullPolicy: new CachedPullPolicy(db),
  debugMemory: config.debugMemory,
  readiness: { database: async () => db.$queryRaw`SELECT 1`, redis: () => pingRedis(redis) },
});
const server = await listen(app, config.host, config.port);
// Blob uploads and downloads may take longer than Node's default 5-minute request timeout.
server.requestTimeout = 0;
logger.info(`registry listening on ${config.host}:${config.port} (storage: ${driver.name})`);
onShutdown(logger, server, [
  () => proxy.close(),
  () => store.close(),
  () => driver.close?.(),
  () => db.$disconnect(),
  () => closeRedis(redis),
  () => closeLogger(logger),
]);
