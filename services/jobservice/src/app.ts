import type express from "express";
import { createBaseApp, type HealthCheck } from "@berth/http";
import type { Logger } from "@berth/logger";

export interface JobserviceDeps {
  logger: Logger;
  readiness: Record<string, HealthCheck>;
}

/** Jobservice's HTTP surface: probes now; the queue dashboard (`/jobs/`) comes with its issue. */
export function createApp(deps: JobserviceDeps): express.Express {
  return createBaseApp(deps.logger, deps.readiness);
}
