/**
 * HTTP plumbing every Berth service shares: request ids, access logs, liveness/readiness
 * endpoints, and listening with graceful shutdown.
 */
export { requestId, accessLog } from "./request-context.js";
export { healthRoutes, type HealthCheck, type HealthReport, runChecks } from "./health.routes.js";
export { createBaseApp, type BaseAppOptions } from "./base-app.js";
export { answerClientErrors, isRegistryPath, sendEdgeError } from "./edge-errors.js";
export { findUnstorableText, rejectUnstorableBody, rejectUnstorableText, unstorableTextProblem } from "./text-guard.js";
export { isLoopbackAddress, trustNginxHop } from "./client-address.js";
export { ApiError, BadRequestError, apiErrorHandler, errorBody, notFoundHandler } from "./api-errors.js";
export { handleStopSignals, listen, onShutdown, settlesWithin, type Closer, type StopSignalOptions } from "./lifecycle.js";
export { LogThrottle } from "./log-throttle.js";
export { memoryDebugRoutes, type MemoryReport } from "./memory-debug.routes.js";
export { httpMetrics, metricsRoutes, setMetricsRoute } from "./http-metrics.js";
