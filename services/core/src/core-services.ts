import type { PrismaClient } from "@berth/db";
import type { Logger } from "@berth/logger";
import type { Redis } from "@berth/redis";
import type { RegistryStore } from "@berth/registry-store";
import { AuditStore } from "./audit/audit-store.js";
import { AccessControl } from "./auth/access-control.js";
import { Authenticator } from "./auth/authenticator.js";
import { LoginRateLimiter, type RateLimitOptions } from "./auth/rate-limit.js";
import { SessionStore } from "./auth/session.js";
import { MemberStore } from "./members/member-store.js";
import { ProjectStore } from "./projects/project-store.js";
import { registryRepositoryCounter, type RepositoryCounter } from "./projects/repository-count.js";
import { RobotStore } from "./robots/robot-store.js";
import type { SigningKey } from "./token/signing-key.js";
import { TokenIssuer } from "./token/token-issuer.js";
import { UserStore } from "./users/user-store.js";

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
}

/** Core's stores and services, built from their dependencies (shared by main.ts and the tests). */
export function createCoreServices(o: CoreServiceOptions) {
  const users = new UserStore(o.db);
  const projects = new ProjectStore(o.db, o.repositoryCount ?? registryRepositoryCounter(o.registry));
  const members = new MemberStore(o.db);
  const robots = new RobotStore(o.db);
  const audit = new AuditStore(o.db);
  const access = new AccessControl(members);
  const limiter = new LoginRateLimiter(o.redis, o.loginRateLimit, o.logger);
  const authenticator = new Authenticator(users, robots, limiter, audit, o.logger);
  const sessions = new SessionStore(o.db, o.sessionTimeoutMinutes);
  const issuer = new TokenIssuer(o.signingKey, o.token);
  return { db: o.db, registry: o.registry, limiter, users, projects, members, robots, audit, access, authenticator, sessions, issuer };
}

export type CoreServices = ReturnType<typeof createCoreServices>;
