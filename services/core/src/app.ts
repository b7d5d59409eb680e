import express from "express";
import { createBaseApp, type HealthCheck } from "@berth/http";
import type { Logger } from "@berth/logger";
import { authenticate } from "./auth/basic-auth.js";
import { internalAuthRoutes } from "./auth/internal.routes.js";
import { errorHandler, NotFoundError } from "./errors.js";
import { healthRoutes } from "./system/health.routes.js";
import { systemLogsRoutes } from "./system/logs.routes.js";
import type { UserStore } from "./users/user-store.js";

export interface CoreDeps {
  logger: Logger;
  users: UserStore;
  /** Checks behind `/readyz` (core's own dependencies). */
  readiness: Record<string, HealthCheck>;
  /** Components of `/api/v2.0/health`, in Harbor's order. */
  components: Record<string, HealthCheck>;
  logCollectorUrl: string;
}

export function createApp(deps: CoreDeps): express.Express {
  const app = createBaseApp(deps.logger, deps.readiness);
  app.use(express.json({ limit: "1mb" }));
  app.use(healthRoutes(deps.components));
  app.use(authenticate(deps.users));
  app.use(internalAuthRoutes());
  app.use(systemLogsRoutes(deps.logCollectorUrl));
  app.use("/api", (_req, _res, next) => next(new NotFoundError("no such API endpoint")));
  app.use(errorHandler(deps.logger));
  return app;
}
