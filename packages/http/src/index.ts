/**
 * HTTP plumbing every Berth service shares: request ids, access logs, liveness/readiness
 * endpoints, and listening with graceful shutdown.
 */
export { requestId, accessLog } from "./request-context.js";
export { healthRoutes, type HealthCheck, type HealthReport, runChecks } from "./health.routes.js";
export { createBaseApp } from "./base-app.js";
export { ApiError, BadRequestError, apiErrorHandler, errorBody, notFoundHandler } from "./api-errors.js";
export { handleStopSignals, listen, onShutdown, type Closer, type StopSignalOptions } from "./lifecycle.js";
