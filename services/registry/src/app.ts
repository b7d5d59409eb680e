import type express from "express";
import { createBaseApp, type HealthCheck } from "@berth/http";
import type { Logger } from "@berth/logger";

export interface RegistryDeps {
  logger: Logger;
  readiness: Record<string, HealthCheck>;
}

/** The registry's HTTP surface. The OCI Distribution API (`/v2/`) arrives with the registry issue. */
export function createApp(deps: RegistryDeps): express.Express {
  return createBaseApp(deps.logger, deps.readiness);
}
