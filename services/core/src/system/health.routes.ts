import { Router } from "express";
import { runChecks, type HealthCheck } from "@berth/http";

/**
 * `GET /api/v2.0/health` — Harbor's shape: `{status, components:[{name,status,error?}]}`, 200 when
 * every component is healthy, else 503. Each component is checked for real.
 */
export function healthRoutes(components: Record<string, HealthCheck>): Router {
  const router = Router();
  router.get("/api/v2.0/health", async (_req, res) => {
    const report = await runChecks(components);
    res.status(report.status === "healthy" ? 200 : 503).json(report);
  });
  router.get("/api/v2.0/ping", (_req, res) => {
    res.type("text/plain").send("Pong");
  });
  return router;
}

/** A component that is healthy when its `/readyz` answers 200. */
export function readyzCheck(baseUrl: string): HealthCheck {
  return async () => {
    const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_500) });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`readiness answered ${res.status}`);
  };
}
