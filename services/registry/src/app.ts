import type express from "express";
import { createBaseApp, memoryDebugRoutes, type HealthCheck } from "@berth/http";
import type { Logger } from "@berth/logger";
import type { RegistryStore } from "@berth/registry-store";
import type { Authorizer } from "./auth/authorizer.js";
import type { ProxyCache } from "./proxy/proxy-cache.js";
import { v2Router } from "./v2.router.js";

export interface RegistryDeps {
  logger: Logger;
  readiness: Record<string, HealthCheck>;
  store: RegistryStore;
  authorizer: Authorizer;
  /** Pull-through for proxy cache projects. */
  proxy?: ProxyCache | undefined;
  /** Serve `GET /debug/memory` (forced GC, then memory usage) on this port: `BERTH_DEBUG_MEMORY`. */
  debugMemory?: boolean;
}

/** The registry's HTTP surface: probes plus the OCI Distribution API under `/v2`. */
export function createApp(deps: RegistryDeps): express.Express {
  const app = createBaseApp(deps.logger, deps.readiness);
  if (deps.debugMemory) app.use(memoryDebugRoutes());
  app.use("/v2", v2Router(deps));
  return app;
}
