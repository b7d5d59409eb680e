import { Router } from "express";

/** A readiness check: resolves when the dependency answers, throws (or times out) when not. */
export type HealthCheck = () => Promise<unknown>;

export interface HealthReport {
  status: "healthy" | "unhealthy";
  components: { name: string; status: "healthy" | "unhealthy"; error?: string }[];
}

/** Runs every check concurrently, each bounded by `timeoutMs`. */
export async function runChecks(checks: Record<string, HealthCheck>, timeoutMs = 3_000): Promise<HealthReport> {
  const components = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return { name, status: "healthy" as const };
      } catch (err) {
        return { name, status: "unhealthy" as const, error: err instanceof Error ? err.message : String(err) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return {
    status: components.every((c) => c.status === "healthy") ? "healthy" : "unhealthy",
    components,
  };
}

/**
 * `GET /livez` — the process is up (no dependency checked);
 * `GET /readyz` — every real dependency answers (200, else 503 with the failing ones).
 */
export function healthRoutes(checks: Record<string, HealthCheck>): Router {
  const router = Router();
  router.get("/livez", (_req, res) => {
    res.json({ status: "healthy" });
  });
  router.get("/readyz", async (_req, res) => {
    const report = await runChecks(checks);
    res.status(report.status === "healthy" ? 200 : 503).json(report);
  });
  return router;
}
