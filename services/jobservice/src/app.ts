import type { Queue } from "bullmq";
import type express from "express";
import { createBaseApp, type HealthCheck } from "@berth/http";
import type { Logger } from "@berth/logger";
import { bullBoardRouter, DASHBOARD_PATH } from "./dashboard/bull-board.js";

export interface JobserviceDeps {
  logger: Logger;
  readiness: Record<string, HealthCheck>;
  /** Queues shown on the dashboard at `/jobs/`. */
  queues: Queue[];
}

/** Jobservice's HTTP surface: probes and the queue dashboard (`/jobs/`, admin-only through nginx). */
export function createApp(deps: JobserviceDeps): express.Express {
  const app = createBaseApp(deps.logger, deps.readiness);
  app.use(DASHBOARD_PATH, bullBoardRouter(deps.queues));
  return app;
}
