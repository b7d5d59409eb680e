import express from "express";
import type { Logger } from "@berth/logger";
import { accessLog, requestId } from "./request-context.js";
import { healthRoutes, type HealthCheck } from "./health.routes.js";

/**
 * The start of every service's express app: no `X-Powered-By`, request ids, access logs and
 * the `/livez` + `/readyz` probes over the service's real dependencies.
 */
export function createBaseApp(logger: Logger, readiness: Record<string, HealthCheck>): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", "loopback");
  app.use(requestId(), accessLog(logger));
  app.use(healthRoutes(readiness));
  return app;
}
