import express from "express";
import type { Logger } from "@berth/logger";
import { accessLog, requestId } from "./request-context.js";
import { healthRoutes, type HealthCheck } from "./health.routes.js";
import { rejectUnstorableBody, rejectUnstorableText } from "./text-guard.js";
import { trustNginxHop } from "./client-address.js";
import { httpMetrics, metricsRoutes } from "./http-metrics.js";

/** Options of {@link createBaseApp}. */
export interface BaseAppOptions {
  /**
   * Parse `application/json` bodies up to `limit` (express' `json()`), and refuse bodies with
   * text PostgreSQL cannot store (see `text-guard.ts`). Services that stream bodies themselves
   * (the registry) leave it unset.
   */
  json?: { limit: string; type?: string | string[] };
  /** The same for `application/x-www-form-urlencoded` bodies (flat: `extended: false`). */
  form?: { limit: string };
}

/**
 * The start of every service's express app: no `X-Powered-By`, HTTP metrics, request ids, access
 * logs, the text guard (a NUL or a lone surrogate in the path, the query or a JSON body is a 400
 * here, before any route), the `/livez` + `/readyz` probes over the service's real dependencies
 * and `GET /metrics` (Prometheus; on the service's own port, which nginx does not route to).
 */
export function createBaseApp(logger: Logger, readiness: Record<string, HealthCheck>, options: BaseAppOptions = {}): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", trustNginxHop);
  app.use(httpMetrics(), requestId(), accessLog(logger), rejectUnstorableText());
  if (options.json) app.use(express.json({ limit: options.json.limit, ...(options.json.type ? { type: options.json.type } : {}) }));
  if (options.form) app.use(express.urlencoded({ extended: false, limit: options.form.limit }));
  if (options.json || options.form) app.use(rejectUnstorableBody());
  app.use(healthRoutes(readiness), metricsRoutes());
  return app;
}
