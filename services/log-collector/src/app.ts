import type { Express } from "express";
import { createBaseApp, type HealthCheck } from "@berth/http";
import type { Logger } from "@berth/logger";
import type { LogStore } from "./log-store.js";
import type { LogQuery } from "./log-query.js";
import type { SyslogReceiver } from "./syslog-receiver.js";
import { ingestRoutes } from "./ingest.routes.js";
import { logsRoutes } from "./logs.routes.js";
import { errorHandler, notFound } from "./errors.js";

export interface AppDeps {
  logger: Logger;
  store: LogStore;
  query: LogQuery;
  /** Absent when no syslog port is configured. */
  syslog?: SyslogReceiver | undefined;
  maxBodyBytes: number;
}

export function createApp({ logger, store, query, syslog, maxBodyBytes }: AppDeps): Express {
  const checks: Record<string, HealthCheck> = { "log-dir": () => store.checkWritable() };
  if (syslog) checks["syslog"] = () => syslog.check();
  const app = createBaseApp(logger, checks);
  app.use(ingestRoutes({ append: (entries) => store.append(entries), maxBodyBytes }));
  app.use(logsRoutes({ query }));
  app.use(notFound());
  app.use(errorHandler(logger));
  return app;
}
