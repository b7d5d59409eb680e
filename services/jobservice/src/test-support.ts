// Helpers for jobservice's integration tests: a fresh database, a jobservice on the test Redis
// under its own BullMQ prefix, loopback webhook receivers.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Writable } from "node:stream";
import { createPrismaClient, type PrismaClient } from "@berth/db";
import { createTestDatabase, type TestDatabase } from "@berth/db/testing";
import { createLogger, type Logger } from "@berth/logger";
import { closeRedis, createRedisClient, type Redis } from "@berth/redis";
import { createRegistryStore, type RegistryStore } from "@berth/registry-store";
import { DataKey } from "@berth/secrets";
import { FilesystemDriver } from "@berth/storage";
import type { WebhookTarget } from "@berth/webhooks";
import { SessionLocks } from "./executions/session-locks.js";
import { createJobservice, type Jobservice, type JobserviceOptions } from "./jobservice.js";

export const silentLogger = (): Logger => createLogger({ service: "jobservice", stdout: new Writable({ write: (_c, _e, cb) => cb() }) });

export function testUrls(): { pg: string; redis: string } {
  const pg = process.env["BERTH_TEST_PG_URL"];
  const redis = process.env["BERTH_TEST_REDIS_URL"];
  assert.ok(pg && redis, "BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL must be set (npm test sets them)");
  return { pg, redis };
}

export interface TestJobservice {
  db: PrismaClient;
  testDb: TestDatabase;
  redis: Redis;
  js: Jobservice;
  prefix: string;
  /** Registry-store over the test database and a temporary filesystem driver (`storageRoot`). */
  registry: RegistryStore;
  driver: FilesystemDriver;
  storageRoot: string;
  close(): Promise<void>;
}

export async function startTestJobservice(options: Partial<Omit<JobserviceOptions, "db" | "redis" | "logger" | "locks">> & { redisUrl?: string; start?: boolean; testDb?: TestDatabase } = {}): Promise<TestJobservice> {
  const urls = testUrls();
  const testDb = options.testDb ?? (await createTestDatabase(urls.pg));
  const db = createPrismaClient(testDb.url, { poolSize: 5 });
  const logger = silentLogger();
  const redis = createRedisClient(options.redisUrl ?? urls.redis, logger, { forQueues: true });
  const prefix = options.prefix ?? `berth-test-${randomUUID()}`;
  const storageRoot = await mkdtemp(join(tmpdir(), "berth-js-storage-"));
  const driver = new FilesystemDriver({ rootDirectory: storageRoot });
  const registry = createRegistryStore({ db, driver, pullFlushIntervalMs: 50 });
  const locks = new SessionLocks(testDb.url, { max: 16 });
  const js = createJobservice({
    db,
    locks,
    redis,
    logger,
    prefix,
    concurrency: options.concurrency ?? { events: 4, webhooks: 8, maintenance: 1, gc: 1, scans: 2, replication: 4, retention: 1 },
    externalUrl: options.externalUrl ?? "http://registry.test:8080",
    relayPollMs: options.relayPollMs ?? 50,
    webhook: options.webhook ?? { denyPrivate: false, timeoutMs: 1_000, callbackTtlMs: 3_600_000 },
    storage: options.storage ?? { driver, registry },
    dataKey: options.dataKey ?? DataKey.fromBytes(randomBytes(32)),
    ...(options.replication && { replication: options.replication }),
    ...(options.scanning && { scanning: options.scanning }),
    ...(options.gc && { gc: options.gc }),
    ...(options.tagger && { tagger: options.tagger }),
    jobOptions: options.jobOptions ?? { "webhook.deliver": { attempts: 4, backoff: { type: "exponential", delay: 100 } }, "event.fanout": { backoff: { type: "fixed", delay: 100 } } },
  });
  if (options.start !== false) await js.start();
  // Tests that drive the relay by hand (start: false) need the queue's connection up first, as
  // js.start() waits for it; a fast machine otherwise calls publishPending before it is ready.
  else if (redis.status !== "ready") await new Promise<void>((resolve, reject) => {
    redis.once("ready", () => resolve());
    setTimeout(() => reject(new Error("the test's Redis connection did not become ready within 10 s")), 10_000).unref();
  });
  return {
    db,
    testDb,
    redis,
    js,
    prefix,
    registry,
    driver,
    storageRoot,
    async close() {
      await js.stop();
      await locks.close();
      await registry.close();
      await rm(storageRoot, { recursive: true, force: true });
      await closeRedis(redis);
      await db.$disconnect();
      if (!options.testDb) await testDb.drop();
    },
  };
}

/** Inserts a project (owner 1) and returns its id. */
export async function createProject(db: PrismaClient, name: string, isPublic = false): Promise<number> {
  return (await db.project.create({ data: { name, ownerId: 1, public: isPublic } })).id;
}

/** Inserts a webhook policy. */
export async function createPolicy(db: PrismaClient, projectId: number, targets: Partial<WebhookTarget>[], eventTypes = ["PUSH_ARTIFACT"], name = `p-${randomUUID()}`): Promise<bigint> {
  const full = targets.map((t) => ({ type: "http", skip_cert_verify: false, payload_format: "Default", ...t }));
  return (await db.webhookPolicy.create({ data: { projectId, name, targets: full, eventTypes, creator: "admin" } })).id;
}

/** Appends a registry-style outbox event and returns its event id. */
export async function writeEvent(db: PrismaClient, type: string, payload: Record<string, unknown>): Promise<string> {
  return (await db.outboxEvent.create({ data: { type, payload: payload as never } })).eventId;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** A loopback HTTP receiver; `respond` decides each answer (default 200). */
export async function startReceiver(respond: (req: ReceivedRequest, res: http.ServerResponse, n: number) => void = (_q, res) => res.end("ok")): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(r);
      respond(r, res, requests.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs = 10_000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A jobservice started as operators run it (`node dist/main.js`), with its output kept. */
export interface JobserviceProcess {
  proc: ChildProcess;
  pid: number;
  lines: string[];
  stopped: boolean;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));

/** Starts `dist/main.js` with `env` (plus PATH and a free BERTH_PORT); resolves once `/readyz` answers 200. */
export async function startJobserviceProcess(env: Record<string, string>): Promise<JobserviceProcess> {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const proc = spawn(process.execPath, [MAIN], { env: { PATH: process.env["PATH"] ?? "", ...env, BERTH_PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  const started: JobserviceProcess = { proc, pid: proc.pid!, lines: [], stopped: false, exited };
  const keep = (chunk: Buffer) => started.lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
  proc.stdout!.on("data", keep);
  proc.stderr!.on("data", keep);
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`jobservice exited: ${started.lines.slice(-20).join("\n")}`);
    return fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
  }, 30_000, "a jobservice process to be ready");
  return started;
}
