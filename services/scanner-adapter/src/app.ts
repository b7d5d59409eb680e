import express from "express";
import { createBaseApp, memoryDebugRoutes, type HealthCheck } from "@berth/http";
import type { Logger } from "@berth/logger";
import type { ScannerInfo } from "@berth/scanning";
import { requireApiKey } from "./api/api-auth.js";
import { ScannerApiError, scannerErrorHandler } from "./api/api-errors.js";
import { scannerApiRoutes } from "./api/scanner-api.routes.js";
import type { ScanRunner } from "./scans/scan-runner.js";
import type { AdapterScanStore } from "./scans/scan-store.js";
import type { OsvStore } from "./vulndb/osv-store.js";

export interface ScannerAdapterDeps {
  logger: Logger;
  readiness: Record<string, HealthCheck>;
  apiKey: string;
  scanner: ScannerInfo;
  runner: ScanRunner;
  scans: AdapterScanStore;
  osv: OsvStore;
  /** Serve `GET /debug/memory` on this port (BERTH_DEBUG_MEMORY). */
  debugMemory?: boolean;
}

/** Probes, then Harbor's Pluggable Scanner API under `/api/v1` behind the API key. */
export function createApp(deps: ScannerAdapterDeps): express.Express {
  const app = createBaseApp(deps.logger, deps.readiness, { json: { limit: "1mb", type: ["application/json", "application/*+json"] } });
  if (deps.debugMemory) app.use(memoryDebugRoutes());
  app.use("/api/v1", requireApiKey(deps.apiKey));
  app.use(scannerApiRoutes(deps));
  app.use((req, _res, next) => next(new ScannerApiError(404, `no such endpoint: ${req.method} ${req.path.slice(0, 200)}`)));
  app.use(scannerErrorHandler(deps.logger));
  return app;
}
