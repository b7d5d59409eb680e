import { createPrismaClient } from "@berth/db";
import { listen, onShutdown } from "@berth/http";
import { closeLogger, createLogger } from "@berth/logger";
import { closeRedis, createRedisClient, pingRedis } from "@berth/redis";
import { createApp } from "./app.js";
import { loadConfig } from "./config.js";
import { readyzCheck } from "./system/health.routes.js";
import { UserStore } from "./users/user-store.js";

const config = loadConfig(process.env);
const logger = createLogger({ service: "core", level: config.logLevel, collectorUrl: config.services.logCollector });
const db = createPrismaClient(config.databaseUrl);
const redis = createRedisClient(config.redisUrl, logger);
const users = new UserStore(db);

if (await users.ensureAdmin(config.adminPassword)) logger.info("created the admin account");

const database = async () => db.$queryRaw`SELECT 1`;
const cache = () => pingRedis(redis);
const app = createApp({
  logger,
  users,
  logCollectorUrl: config.services.logCollector,
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
logger.info(`core listening on ${config.host}:${config.port}`, { externalUrl: config.externalUrl });
onShutdown(logger, server, [() => db.$disconnect(), () => closeRedis(redis), () => closeLogger(logger)]);
