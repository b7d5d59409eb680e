import { loadConfigOrExit } from "@berth/config";
import { createPrismaClient, JOB_LIMITS } from "@berth/db";
import { listen, onShutdown } from "@berth/http";
import { closeLogger, createLogger } from "@berth/logger";
import { closeRedis, createRedisClient, pingRedis } from "@berth/redis";
import { SCANNER_API_KEY_PURPOSE } from "@berth/scanning";
import { loadDataKeyForService } from "@berth/secrets";
import { createApp } from "./app.js";
import { loadConfig } from "./config.js";
import { RegistryImageSource } from "./image/image-source.js";
import { ScanRunner } from "./scans/scan-runner.js";
import { AdapterScanStore } from "./scans/scan-store.js";
import { SCANNER_INFO } from "./scanner-info.js";
import { VulnerabilityMatcher } from "./vulndb/matcher.js";
import { OsvStore } from "./vulndb/osv-store.js";
import { VulnDbUpdater } from "./vulndb/vulndb-updater.js";
import { startProcessMetrics } from "@berth/metrics";

// Without BERTH_SCANNER_API_KEY the key is derived from the data key (core derives the same one); a
// missing or malformed data key is then a configuration problem (exit 2), as in core and jobservice.
const config = loadConfigOrExit("scanner-adapter", () => {
  const parsed = loadConfig(process.env);
  return { ...parsed, apiKey: parsed.apiKey ?? loadDataKeyForService(parsed.dataKeyFile).derive(SCANNER_API_KEY_PURPOSE) };
});
startProcessMetrics("scanner-adapter");
const logger = createLogger({ service: "scanner-adapter", level: config.logLevel, collectorUrl: config.logCollectorUrl });
const db = createPrismaClient(config.databaseUrl, { applicationName: "scanner-adapter", limits: config.databaseLimits.request });
// Imports and scans are background work: the longer job bounds.
const jobsDb = createPrismaClient(config.databaseUrl, { applicationName: "scanner-adapter-jobs", poolSize: 4, limits: { ...JOB_LIMITS, ...config.databaseLimits.jobs } });
const redis = createRedisClient(config.redisUrl, logger, { commandTimeoutMs: config.redisCommandTimeoutMs });

const osv = new OsvStore(jobsDb);
const scans = new AdapterScanStore(jobsDb);
const runner = new ScanRunner({
  store: scans,
  matcher: new VulnerabilityMatcher(osv),
  scanner: SCANNER_INFO,
  logger,
  concurrency: config.concurrency,
  tempDir: config.tempDir,
  imageSource: (request, authorization) =>
    new RegistryImageSource({ url: request.registry.url, repository: request.artifact.repository, reference: request.artifact.digest, authorization }),
});
const updater = new VulnDbUpdater({ store: osv, logger, ...config.db });

const app = createApp({
  logger,
  apiKey: config.apiKey,
  scanner: SCANNER_INFO,
  runner,
  scans,
  osv: new OsvStore(db),
  debugMemory: config.debugMemory,
  readiness: { database: async () => db.$queryRaw`SELECT 1`, redis: () => pingRedis(redis) },
});
const server = await listen(app, config.host, config.port);
logger.info(`scanner-adapter listening on ${config.host}:${config.port}`);
// The start-up import runs in the background: the API answers meanwhile (scans match what is in).
void updater.start();
onShutdown(logger, server, [
  async () => updater.stop(),
  () => runner.close(),
  () => db.$disconnect(),
  () => jobsDb.$disconnect(),
  () => closeRedis(redis),
  () => closeLogger(logger),
]);
