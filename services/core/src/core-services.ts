import type { PrismaClient } from "@berth/db";
import type { Logger } from "@berth/logger";
import type { Redis } from "@berth/redis";
import type { RegistryStore } from "@berth/registry-store";
import type { DataKey } from "@berth/secrets";
import { ArtifactService } from "./artifacts/artifact-service.js";
import { AuditStore } from "./audit/audit-store.js";
import { AccessControl } from "./auth/access-control.js";
import { Authenticator } from "./auth/authenticator.js";
import { CredentialCache, type CredentialCacheOptions } from "./auth/credential-cache.js";
import { LoginRateLimiter, type RateLimitOptions } from "./auth/rate-limit.js";
import { SessionStore } from "./auth/session-store.js";
import { GcService } from "./gc/gc-service.js";
import { GroupService } from "./groups/group-service.js";
import { UserGroupStore } from "./groups/user-group-store.js";
import { AuthSettingsService } from "./identity/auth-settings-service.js";
import { ConfigurationStore } from "./identity/configuration-store.js";
import { LdapDirectory } from "./identity/ldap/ldap-directory.js";
import { LdapLogin } from "./identity/ldap/ldap-login.js";
import { CliSecretAuthenticator } from "./identity/oidc/cli-secret-authenticator.js";
import { OidcClient } from "./identity/oidc/oidc-client.js";
import { OidcLogin } from "./identity/oidc/oidc-login.js";
import { OidcUserStore } from "./identity/oidc/oidc-user-store.js";
import { UserIdentity } from "./identity/user-identity.js";
import { ImmutableRuleStore } from "./immutability/immutable-rule-store.js";
import { LabelStore } from "./labels/label-store.js";
import { MemberStore } from "./members/member-store.js";
import { ProjectStore } from "./projects/project-store.js";
import { registryRepositoryCounter, type RepositoryCounter } from "./projects/repository-count.js";
import { QuotaService } from "./quota/quota-service.js";
import { EndpointService } from "./registries/endpoint-service.js";
import { EndpointStore } from "./registries/endpoint-store.js";
import { ProxyCacheCheck } from "./projects/proxy-cache-check.js";
import { ReplicationExecutionService } from "./replication/execution-service.js";
import { ReplicationPolicyStore } from "./replication/policy-store.js";
import { RetentionExecutionService } from "./retention/retention-executions.js";
import { RetentionPolicyStore } from "./retention/retention-store.js";
import { RepositoryService } from "./repositories/repository-service.js";
import { RobotService } from "./robots/robot-service.js";
import { RobotStore } from "./robots/robot-store.js";
import type { SigningKey } from "@berth/token";
import { TokenIssuer } from "@berth/token";
import { verifyPassword } from "./users/password.js";
import { UserStore } from "./users/user-store.js";
import { WebhookCallbackService } from "./webhooks/callback-service.js";
import { WebhookExecutionReader } from "./webhooks/execution-views.js";
import { WebhookPolicyStore } from "./webhooks/webhook-policy-store.js";
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
  /** Reuse of verified Basic credentials (`auth/credential-cache.ts`); default off. */
  credentialCache?: CredentialCacheOptions;
  /** Seals stored secrets (scanner registrations' credentials, LDAP bind password, OIDC client secret, CLI secrets, OIDC tokens, registry endpoints' credentials). */
  dataKey: DataKey;
  /** The URL browsers use (the OIDC redirect URI is `<externalUrl>/c/oidc/callback`). */
  externalUrl: string;
}

/**
 * Core's domain layer, built from its dependencies (shared by main.ts and the tests): stores own
 * their tables' transactions and audit rows; services compose stores and registry-store for a use
 * case. Both throw domain errors (`errors.ts`, and the packages' own). Routes get these — never
 * the database handle.
 */
export function createCoreServices(o: CoreServiceOptions) {
  const credentials = new CredentialCache(verifyPassword, o.credentialCache ?? { ttlMs: 0, maxEntries: 0 });
  const check = (account: string, stored: string, password: string) => credentials.verify(account, stored, password);
  const users = new UserStore(o.db, check);
  const registryEndpoints = new EndpointStore(o.db, o.dataKey);
  const projects = new ProjectStore(o.db, o.repositoryCount ?? registryRepositoryCounter(o.registry));
  const members = new MemberStore(o.db);
  const robotStore = new RobotStore(o.db, check);
  const audit = new AuditStore(o.db, (err) => o.logger.warn("could not fold audit log counts (retried after the next read)", { err }));
  const access = new AccessControl(members);
  const limiter = new LoginRateLimiter(o.redis, o.loginRateLimit, o.logger);
  const scanners = new ScannerStore(o.db, o.dataKey);
  // Identity providers: the settings of /configurations, LDAP, OIDC and the groups they report.
  const authSettings = new AuthSettingsService(new ConfigurationStore(o.db), () => users.count(), o.dataKey);
  const userGroups = new UserGroupStore(o.db);
  const ldapDirectory = new LdapDirectory();
  const oidcClient = new OidcClient();
  const oidcUsers = new OidcUserStore(o.db, o.dataKey);
  const providers = {
    settings: authSettings,
    ldap: new LdapLogin(ldapDirectory, users, userGroups),
    cliSecrets: new CliSecretAuthenticator(users, oidcUsers, userGroups, oidcClient, o.logger),
  };
  return {
    users,
    projects,
    members,
    audit,
    access,
    limiter,
    authSettings,
    userGroups,
    groups: new GroupService(userGroups, ldapDirectory, authSettings),
    ldapDirectory,
    userIdentity: new UserIdentity(authSettings, oidcUsers, users),
    oidcLogin: new OidcLogin(authSettings, oidcClient, users, oidcUsers, userGroups, o.dataKey, `${o.externalUrl.replace(/\/+$/, "")}/c/oidc/callback`),
    authenticator: new Authenticator(users, robotStore, limiter, audit, o.logger, providers),
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
    registryEndpoints,
    proxyCache: new ProxyCacheCheck(registryEndpoints),
    scanners,
    scans: new ScanService(o.db, o.registry, scanners),
    allowlists: new AllowlistStore(o.db),
    registryEndpointService: new EndpointService(),
    replicationPolicies: new ReplicationPolicyStore(o.db),
    replicationExecutions: new ReplicationExecutionService(o.db),
    immutableRules: new ImmutableRuleStore(o.db),
    labels: new LabelStore(o.db),
    retentionPolicies: new RetentionPolicyStore(o.db),
    retentionExecutions: new RetentionExecutionService(o.db),
  };
}

export type CoreServices = ReturnType<typeof createCoreServices>;
