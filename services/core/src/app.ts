import express from "express";
import { createBaseApp, type HealthCheck } from "@berth/http";
import type { Logger } from "@berth/logger";
import { artifactsRoutes } from "./artifacts/artifacts.routes.js";
import { auditRoutes } from "./audit/audit.routes.js";
import { authenticate } from "./auth/authenticate.js";
import { csrfProtection } from "./auth/csrf.js";
import { internalAuthRoutes } from "./auth/internal.routes.js";
import { sessionRoutes } from "./auth/session.routes.js";
import type { CoreServices } from "./core-services.js";
import { NotFoundError } from "./errors.js";
import { gcRoutes } from "./gc/gc.routes.js";
import { userGroupsRoutes } from "./groups/usergroups.routes.js";
import { configurationsRoutes } from "./identity/configurations.routes.js";
import { immutabilityRoutes } from "./immutability/immutability.routes.js";
import { labelsRoutes } from "./labels/labels.routes.js";
import { ldapRoutes } from "./identity/ldap/ldap.routes.js";
import { oidcRoutes } from "./identity/oidc/oidc.routes.js";
import { requireJsonBodies } from "./http/body-type.js";
import { errorHandler } from "./http/wire-errors.js";
import { membersRoutes } from "./members/members.routes.js";
import { projectsRoutes } from "./projects/projects.routes.js";
import { quotaRoutes } from "./quota/quota.routes.js";
import { registriesRoutes } from "./registries/registries.routes.js";
import { replicationRoutes } from "./replication/replication.routes.js";
import { retentionRoutes } from "./retention/retention.routes.js";
import { repositoriesRoutes } from "./repositories/repositories.routes.js";
import { robotsRoutes } from "./robots/robots.routes.js";
import { healthRoutes } from "./system/health.routes.js";
import { systemLogsRoutes } from "./system/logs.routes.js";
import { systemInfoRoutes } from "./system/systeminfo.routes.js";
import { tokenRoutes } from "./token/token.routes.js";
import { usersRoutes } from "./users/users.routes.js";
import { scannersRoutes } from "./scanning/scanners.routes.js";
import { scanRoutes } from "./scanning/scan.routes.js";
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

/** JSON bodies larger than this are refused (413): no API body comes near it. */
export const JSON_BODY_LIMIT = "1mb";

export function createApp(deps: CoreDeps): express.Express {
  const s = deps.services;
  // Bodies (JSON; the session login's form) are parsed, and checked for text PostgreSQL cannot
  // store, by the base app; anything else with a body is refused (415).
  const app = createBaseApp(deps.logger, deps.readiness, {
    json: { limit: JSON_BODY_LIMIT, type: ["application/json", "application/*+json"] },
    form: { limit: "16kb" },
  });
  app.use(requireJsonBodies());
  app.use(healthRoutes(deps.components));
  app.use(systemInfoRoutes({ externalUrl: deps.externalUrl, version: deps.version, settings: s.authSettings }));
  app.use(sessionRoutes({ sessions: s.sessions, authenticator: s.authenticator, secureCookies: deps.externalUrl.startsWith("https:") }));
  app.use(oidcRoutes({ login: s.oidcLogin, sessions: s.sessions, secureCookies: deps.externalUrl.startsWith("https:") }));
  app.use(authenticate(s.authenticator, s.sessions));
  app.use(csrfProtection());
  app.use(tokenRoutes({ issuer: s.issuer, projects: s.projects, access: s.access }));
  app.use(internalAuthRoutes());
  app.use(systemLogsRoutes(deps.logCollectorUrl));
  app.use(usersRoutes({ users: s.users, identity: s.userIdentity }));
  app.use(projectsRoutes({ projects: s.projects, members: s.members, users: s.users, access: s.access, quotas: s.quotas, proxyCache: s.proxyCache, allowlists: s.allowlists }));
  app.use(membersRoutes({ projects: s.projects, members: s.members, users: s.users, groups: s.groups, access: s.access }));
  app.use(robotsRoutes({ robots: s.robots }));
  app.use(auditRoutes({ audit: s.audit, projects: s.projects, access: s.access }));
  app.use(repositoriesRoutes({ projects: s.projects, access: s.access, repositories: s.repositories }));
  app.use(artifactsRoutes({ projects: s.projects, access: s.access, artifacts: s.artifacts, scans: s.scans }));
  app.use(quotaRoutes({ quotas: s.quotas }));
  app.use(
    webhooksApi({
      projects: s.projects,
      access: s.access,
      policies: s.webhookPolicies,
      executions: s.webhookExecutions,
      callbacks: s.webhookCallbacks,
      denyPrivate: deps.webhookDenyPrivate ?? false,
    }),
  );
  app.use(gcRoutes({ gc: s.gc }));
  app.use(configurationsRoutes({ settings: s.authSettings }));
  app.use(ldapRoutes({ settings: s.authSettings, directory: s.ldapDirectory, users: s.users }));
  app.use(userGroupsRoutes({ groups: s.userGroups, groupService: s.groups }));
  app.use(registriesRoutes({ endpoints: s.registryEndpoints, service: s.registryEndpointService }));
  app.use(replicationRoutes({ policies: s.replicationPolicies, executions: s.replicationExecutions, endpoints: s.registryEndpoints, externalUrl: deps.externalUrl }));
  app.use(scannersRoutes({ scanners: s.scanners }));
  app.use(scanRoutes({ projects: s.projects, access: s.access, scans: s.scans, allowlists: s.allowlists }));
  app.use(immutabilityRoutes({ projects: s.projects, access: s.access, rules: s.immutableRules }));
  app.use(labelsRoutes({ projects: s.projects, access: s.access, labels: s.labels, artifacts: s.artifacts }));
  app.use(retentionRoutes({ projects: s.projects, access: s.access, policies: s.retentionPolicies, executions: s.retentionExecutions }));
  app.use("/api", (req, _res, next) => next(new NotFoundError(`no such API endpoint: ${req.method} ${req.baseUrl}${req.path.slice(0, 200)}`)));
  app.use(errorHandler(deps.logger));
  return app;
}
