import type { PrismaClient } from "@berth/db";
import type { Logger } from "@berth/logger";
import type { Redis } from "@berth/redis";
import type { RegistryStore } from "@berth/registry-store";
import { ArtifactService } from "./artifacts/artifact-service.js";
import { AuditStore } from "./audit/audit-store.js";
import { AccessControl } from "./auth/access-control.js";
import { Authenticator } from "./auth/authenticator.js";
import { LoginRateLimiter, type RateLimitOptions } from "./auth/rate-limit.js";
import { SessionStore } from "./auth/session-store.js";
import { GcService } from "./gc/gc-service.js";
import { MemberStore } from "./members/member-store.js";
import { ProjectStore } from "./projects/project-store.js";
import { registryRepositoryCounter, type RepositoryCounter } from "./projects/repository-count.js";
import { QuotaService } from "./quota/quota-service.js";
import { RepositoryService } from "./repositories/repository-service.js";
import { RobotService } from "./robots/robot-service.js";
import { RobotStore } from "./robots/robot-store.js";
import type { SigningKey } from "@berth/token";
import { TokenIssuer } from "@berth/token";
import { UserStore } from "./users/user-store.js";
import { WebhookCallbackService } from "./webhooks/callback-service.js";
import { WebhookExecutionReader } from "./webhooks/execution-views.js";
import { WebhookPolicyStore } from "./webhooks/webhook-policy-store.js";
import type { DataKey } from "@berth/secrets";
import { AllowlistStore } from "./scanning/allowlist-store.js";
import { ScanService } from "./scanning/scan-service.js";
import { ScannerStore } from "./scanning/scanner-store.js";

export interface CoreServiceOptions {
  db: PrismaClient;
  /** `undefined` runs without rate limiting (tests); an unreachable Redis fails open. */
  redis: Redis | undefined;
  logger: Logger;
  signingKey: SigningKey;
  token: { issuer: string; service: string; expirationMinutes: number };
  loginRateLimit: RateLimitOptions;
  sessionTimeoutMinutes: number;
  /** The registry's metadata (repositories, artifacts, tags, quotas), shared with the registry service. */
  registry: RegistryStore;
  /** Defaults to the registry's count of repositories named `<project>/…`. */
  repositoryCount?: RepositoryCounter;
  /** The data key: seals scanner registrations' credentials. */
  dataKey: DataKey;
}

/**
 * Core's domain layer, built from its dependencies (shared by main.ts and the tests): stores own
 * their tables' transactions and audit rows; services compose stores and registry-store for a use
 * case. Both throw domain errors (`errors.ts`, and the packages' own). Routes get these — never
 * the database handle.
 */
export function createCoreServices(o: CoreServiceOptions) {
  const users = new UserStore(o.db);
  const projects = new ProjectStore(o.db, o.repositoryCount ?? registryRepositoryCounter(o.registry));
  const members = new MemberStore(o.db);
  const robotStore = new RobotStore(o.db);
  const audit = new AuditStore(o.db);
  const access = new AccessControl(members);
  const limiter = new LoginRateLimiter(o.redis, o.loginRateLimit, o.logger);
  const scanners = new ScannerStore(o.db, o.dataKey);
  return {
    users,
    projects,
    members,
    audit,
    access,
    limiter,
    authenticator: new Authenticator(users, robotStore, limiter, audit, o.logger),
    sessions: new SessionStore(o.db, o.sessionTimeoutMinutes),
    issuer: new TokenIssuer(o.signingKey, o.token),
    robots: new RobotService(robotStore, projects, access),
    quotas: new QuotaService(projects, users, o.registry),
    repositories: new RepositoryService(o.registry, audit),
    artifacts: new ArtifactService(o.registry, audit),
    gc: new GcService(o.db),
    webhookPolicies: new WebhookPolicyStore(o.db),
    webhookExecutions: new WebhookExecutionReader(o.db),
    webhookCallbacks: new WebhookCallbackService(o.db),
    scanners,
    scans: new ScanService(o.db, o.registry, scanners),
    allowlists: new AllowlistStore(o.db),
  };
}

export type CoreServices = ReturnType<typeof createCoreServices>;
