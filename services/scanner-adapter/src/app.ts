import type express from "express";
import { createBaseApp, type HealthCheck } from "@berth/http";
import type { Logger } from "@berth/logger";

export interface ScannerAdapterDeps {
  logger: Logger;
  readiness: Record<string, HealthCheck>;
}

/** Harbor's Pluggable Scanner API (`/api/v1/…`) arrives with the scanning issue. */
export function createApp(deps: ScannerAdapterDeps): express.Express {
  return createBaseApp(deps.logger, deps.readiness);
}
