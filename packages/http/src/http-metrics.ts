/**
 * HTTP metrics of every service (`@berth/metrics`): requests by method, route and status, their
 * latency, and requests in flight; and `GET /metrics`, the text exposition of the process's
 * registry. The route is the matched route's pattern (`/api/v2.0/projects/:project`), or what a
 * service that routes by itself set with {@link setMetricsRoute} (the registry's `/v2/` kinds),
 * else `unmatched` — never the raw path, so the label stays bounded.
 */
import type { Request, RequestHandler, Response } from "express";
import { Router } from "express";
import { counter, gauge, histogram, LATENCY_BUCKETS, renderMetrics } from "@berth/metrics";

const requests = counter({ name: "berth_http_requests_total", help: "HTTP requests answered, by method, route and status", labelNames: ["method", "route", "status"] });
const duration = histogram({
  name: "berth_http_request_duration_seconds",
  help: "Time from a request's arrival to the end of its response, by method and route",
  labelNames: ["method", "route"],
  buckets: LATENCY_BUCKETS,
});
const inFlight = gauge({ name: "berth_http_requests_in_flight", help: "HTTP requests being handled now" });

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Names the route of this request for the HTTP metrics (services that route by themselves). */
export function setMetricsRoute(res: Response, route: string): void {
  res.locals["metricsRoute"] = route;
}

function routeOf(req: Request, res: Response): string {
  const set = res.locals["metricsRoute"];
  if (typeof set === "string") return set;
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (route !== undefined && typeof route.path === "string") return `${req.baseUrl ?? ""}${route.path}`;
  return "unmatched";
}

/** Counts and times every request (first middleware of the base app). */
export function httpMetrics(): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    inFlight.inc();
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      inFlight.dec();
      const method = METHODS.has(req.method) ? req.method : "OTHER";
      const route = routeOf(req, res);
      // An aborted request counts with status 0: nothing was answered.
      const status = res.writableFinished ? String(res.statusCode) : "0";
      requests.inc({ method, route, status });
      duration.observe({ method, route }, Number(process.hrtime.bigint() - start) / 1e9);
    };
    res.once("finish", end);
    res.once("close", end);
    next();
  };
}

/** `GET /metrics`: the process's metrics in Prometheus' text format. */
export function metricsRoutes(): Router {
  const router = Router();
  router.get("/metrics", async (_req, res) => {
    const { contentType, body } = await renderMetrics();
    res.setHeader("Content-Type", contentType);
    res.setHeader("Cache-Control", "no-store");
    res.end(body);
  });
  return router;
}
