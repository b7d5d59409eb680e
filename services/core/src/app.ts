import express from "express";
import { createBaseApp, type HealthCheck } from "@berth/http";
import type { Logger } from "@berth/logger";
import { auditRoutes } from "./audit/audit.routes.js";
import { authenticate } from "./auth/basic-auth.js";
import { csrfProtection } from "./auth/csrf.js";
import { internalAuthRoutes } from "./auth/internal.routes.js";
import { sessionRoutes } from "./auth/session.js";
import type { CoreServices } from "./core-services.js";
import { errorHandler, NotFoundError } from "./errors.js";
import { gcRoutes } from "./gc/gc.routes.js";
import { membersRoutes } from "./members/members.routes.js";
import { projectsRoutes } from "./projects/projects.routes.js";
import { artifactsRoutes } from "./artifacts/artifacts.routes.js";
import { quotaRoutes } from "./quota/quota.routes.js";
import { repositoriesRoutes } from "./repositories/repositories.routes.js";
import { robotsRoutes } from "./robots/robots.routes.js";
import { healthRoutes } from "./system/health.routes.js";
import { systemLogsRoutes } from "./system/logs.routes.js";
import { systemInfoRoutes } from "./system/systeminfo.routes.js";
import { tokenRoutes } from "./token/token.routes.js";
import { usersRoutes } from "./users/users.routes.js";
import { webhooksApi } from "./webhooks/index.js";

export interface CoreDeps {
  logger: Logger;
  services: CoreServices;
  /** Checks behind `/readyz` (core's own dependencies). */
  readiness: Record<string, HealthCheck>;
  /** Components of `/api/v2.0/health`, in Harbor's order. */
  components: Record<string, HealthCheck>;
  logCollectorUrl: string;
  externalUrl: string;
  version: string;
  /** Refuse webhook targets on private and loopback addresses (BERTH_WEBHOOK_DENY_PRIVATE). */
  webhookDenyPrivate?: boolean;
}

export function createApp(deps: CoreDeps): express.Express {
  const s = deps.services;
  // Bodies (JSON; the session login's form) are parsed, and checked for text PostgreSQL cannot
  // store, by the base app.
  const app = createBaseApp(deps.logger, deps.readiness, { json: { limit: "1mb" }, form: { limit: "16kb" } });
  app.use(healthRoutes(deps.components));
  app.use(systemInfoRoutes({ externalUrl: deps.externalUrl, version: deps.version }));
  app.use(sessionRoutes({ sessions: s.sessions, authenticator: s.authenticator, db: s.db, secureCookies: deps.externalUrl.startsWith("https:") }));
  app.use(authenticate(s.authenticator, s.sessions));
  app.use(csrfProtection());
  app.use(tokenRoutes({ issuer: s.issuer, projects: s.projects, access: s.access }));
  app.use(internalAuthRoutes());
  app.use(systemLogsRoutes(deps.logCollectorUrl));
  app.use(usersRoutes({ users: s.users }));
  app.use(projectsRoutes(s));
  app.use(membersRoutes(s));
  app.use(robotsRoutes({ robots: s.robots, projects: s.projects, access: s.access }));
  app.use(auditRoutes({ audit: s.audit, projects: s.projects, access: s.access }));
  app.use(repositoriesRoutes(s));
  app.use(artifactsRoutes(s));
  app.use(quotaRoutes(s));
  app.use(webhooksApi({ db: s.db, projects: s.projects, access: s.access, denyPrivate: deps.webhookDenyPrivate ?? false }));
  app.use(gcRoutes({ db: s.db }));
  app.use("/api", (_req, _res, next) => next(new NotFoundError("no such API endpoint")));
  app.use(errorHandler(deps.logger));
  return app;
}
