import { loadConfigOrExit } from "@berth/config";
import { createPrismaClient } from "@berth/db";
import { listen, onShutdown } from "@berth/http";
import { closeLogger, createLogger } from "@berth/logger";
import { closeRedis, createRedisClient, pingRedis } from "@berth/redis";
import { createApp } from "./app.js";
import { loadConfig } from "./config.js";
import { startProcessMetrics } from "@berth/metrics";

const config = loadConfigOrExit("scanner-adapter", () => loadConfig(process.env));
startProcessMetrics("scanner-adapter");
const logger = createLogger({ service: "scanner-adapter", level: config.logLevel, collectorUrl: config.logCollectorUrl });
const db = createPrismaClient(config.databaseUrl, { applicationName: "scanner-adapter", limits: config.databaseLimits.request });
const redis = createRedisClient(config.redisUrl, logger, { commandTimeoutMs: config.redisCommandTimeoutMs });

const app = createApp({
  logger,
  readiness: { database: async () => db.$queryRaw`SELECT 1`, redis: () => pingRedis(redis) },
});
const server = await listen(app, config.host, config.port);
logger.info(`scanner-adapter listening on ${config.host}:${config.port}`);
onShutdown(logger, server, [() => db.$disconnect(), () => closeRedis(redis), () => closeLogger(logger)]);
