import { Queue } from "bullmq";
import { createPrismaClient } from "@berth/db";
import { listen, onShutdown } from "@berth/http";
import { closeLogger, createLogger } from "@berth/logger";
import { closeRedis, createRedisClient } from "@berth/redis";
import { createApp } from "./app.js";
import { loadConfig } from "./config.js";

const config = loadConfig(process.env);
const logger = createLogger({ service: "jobservice", level: config.logLevel, collectorUrl: config.logCollectorUrl });
const db = createPrismaClient(config.databaseUrl);
const redis = createRedisClient(config.redisUrl, logger, { forQueues: true });
// The queues and workers arrive with the jobservice issue; one queue proves the wiring now.
const events = new Queue("events", { connection: redis, prefix: config.queuePrefix });
events.on("error", () => undefined); // connection errors are logged once by the redis client

const app = createApp({
  logger,
  readiness: {
    database: async () => db.$queryRaw`SELECT 1`,
    redis: async () => {
      if (redis.status !== "ready") throw new Error(`redis is ${redis.status}`);
      await events.getJobCounts("waiting");
    },
  },
});
const server = await listen(app, config.host, config.port);
logger.info(`jobservice listening on ${config.host}:${config.port}`);
onShutdown(logger, server, [() => events.close(), () => db.$disconnect(), () => closeRedis(redis), () => closeLogger(logger)]);
