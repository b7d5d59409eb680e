// Helpers for core's integration tests: a fresh database, core's services and app on port 0.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { createPrismaClient, type PrismaClient } from "@berth/db";
import { createRegistryStore, type RegistryStore } from "@berth/registry-store";
import { FilesystemDriver } from "@berth/storage";
import { createTestDatabase } from "@berth/db/testing";
import { listen, type HealthCheck } from "@berth/http";
import { createLogger, type Logger } from "@berth/logger";
import { closeRedis, createRedisClient, type Redis } from "@berth/redis";
import { DataKey } from "@berth/secrets";
import type { Express } from "express";
import { createApp } from "./app.js";
import { createCoreServices, type CoreServices } from "./core-services.js";
import type { RepositoryCounter } from "./projects/repository-count.js";
import { ensureSigningKey } from "@berth/token";
import { hashPassword } from "./users/password.js";

export const ADMIN_PASSWORD = "Adm1nPassw0rd";

export interface TestCore {
  base: string;
  /** The express app (its router lists every route). */
  app: Express;
  db: PrismaClient;
  services: CoreServices;
  logger: Logger;
  keyDir: string;
  redis: Redis | undefined;
  /** registry-store over the test database and a temporary filesystem driver. */
  registry: RegistryStore;
  close(): Promise<void>;
}

export interface TestCoreOptions {
  /** `"test"` uses BERTH_TEST_REDIS_URL; a URL uses that; `"none"` runs without a limiter. */
  redis?: "test" | "none" | string;
  loginRateLimit?: { maxFailures: number; windowSeconds: number };
  repositoryCount?: RepositoryCounter;
  components?: Record<string, HealthCheck>;
  logCollectorUrl?: string;
  externalUrl?: string;
  logger?: Logger;
  /** The URL core's pool connects to, given the test database's (a test's {@link DatabaseLink} in front of it). */
  databaseUrl?: (url: string) => Promise<string>;
}

export const silentLogger = (): Logger => createLogger({ service: "core", stdout: new Writable({ write: (_c, _e, cb) => cb() }) });

export async function startTestCore(options: TestCoreOptions = {}): Promise<TestCore> {
  const pgUrl = process.env["BERTH_TEST_PG_URL"];
  assert.ok(pgUrl, "BERTH_TEST_PG_URL must point at a PostgreSQL server (npm test starts one)");
  const logger = options.logger ?? silentLogger();
  const testDb = await createTestDatabase(pgUrl);
  const db = createPrismaClient(options.databaseUrl ? await options.databaseUrl(testDb.url) : testDb.url, { poolSize: 4 });
  let redis: Redis | undefined;
  const redisOption = options.redis ?? "test";
  if (redisOption === "test") {
    const url = process.env["BERTH_TEST_REDIS_URL"];
    assert.ok(url, "BERTH_TEST_REDIS_URL must point at a Redis server (npm test starts one)");
    redis = createRedisClient(url, logger);
  } else if (redisOption !== "none") redis = createRedisClient(redisOption, logger);
  const keyDir = mkdtempSync(path.join(tmpdir(), "berth-core-token-"));
  const registry = createRegistryStore({ db, driver: new FilesystemDriver({ rootDirectory: path.join(keyDir, "storage") }) });
  const signingKey = await ensureSigningKey({ keyFile: path.join(keyDir, "tls.key"), certFile: path.join(keyDir, "tls.crt") });
  const services = createCoreServices({
    db,
    redis,
    logger,
    signingKey,
    token: { issuer: "berth-token-issuer", service: "berth-registry", expirationMinutes: 30 },
    loginRateLimit: { ...(options.loginRateLimit ?? { maxFailures: 10, windowSeconds: 300 }), keyPrefix: `berth-test:${randomUUID()}:` },
    sessionTimeoutMinutes: 60,
    registry,
    ...(options.repositoryCount !== undefined && { repositoryCount: options.repositoryCount }),
    dataKey: DataKey.fromBytes(randomBytes(32)),
    externalUrl: options.externalUrl ?? "http://127.0.0.1:8080",
  });
  await services.users.ensureAdmin(ADMIN_PASSWORD);
  const admin = await services.users.findByName("admin");
  await services.projects.ensureProject("library", true, admin!.id);
  const app = createApp({
    logger,
    services,
    logCollectorUrl: options.logCollectorUrl ?? "http://127.0.0.1:9",
    externalUrl: options.externalUrl ?? "http://127.0.0.1:8080",
    version: "test",
    readiness: {},
    components: options.components ?? { core: async () => undefined },
  });
  const server: Server = await listen(app, "127.0.0.1", 0);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    app,
    db,
    services,
    logger,
    keyDir,
    redis,
    registry,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await registry.close();
      if (redis) await closeRedis(redis);
      await db.$disconnect();
      await testDb.drop();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}

export const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` });
export const adminAuth = () => basic("admin", ADMIN_PASSWORD);

/** Creates a user directly in the database (fast: tests need many). */
export async function createUser(db: PrismaClient, username: string, password: string, sysadmin = false): Promise<number> {
  const user = await db.user.create({ data: { username, realname: username, passwordHash: await hashPassword(password), sysadmin } });
  return user.id;
}

/** `fetch` with JSON body helpers. */
export interface CallResult {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test convenience
  data: any;
}

export async function call(base: string, method: string, path: string, options: { headers?: Record<string, string>; body?: unknown } = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  return { status: res.status, headers: res.headers, data };
}
