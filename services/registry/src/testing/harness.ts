/**
 * Test harness: the registry app in-process on 127.0.0.1, port 0, over a fresh PostgreSQL
 * database (`@berth/db/testing`) and fresh storage — a temporary filesystem directory, or with
 * `driver: "s3"` a new bucket of an in-process `s3rver` (path-style, 5 MiB parts, optionally
 * `redirect`) — with tokens minted by a test key whose self-signed certificate the registry
 * trusts. `addInstance()` starts another app over the same database and storage (a second
 * registry process, with its own driver instance).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jwt from "jsonwebtoken";
import { createSqlClient, type SqlClient } from "@berth/db/sql";
import { createTestDatabase, type TestDatabase } from "@berth/db/testing";
import { listen } from "@berth/http";
import { createLogger } from "@berth/logger";
import { createRegistryStore, type RegistryStore } from "@berth/registry-store";
import { FilesystemDriver, type StorageDriver } from "@berth/storage";
import { S3Driver } from "@berth/storage/s3";
import { Writable } from "node:stream";
import { closeRedis, createRedisClient, type Redis } from "@berth/redis";
import { createApp } from "../app.js";
import { createProxyCache, type ProxyCache } from "../proxy/proxy-cache.js";
import { TokenAuthorizer } from "../auth/authorizer.js";
import { loadTokenKeyFile, TokenVerifier } from "../auth/token-verifier.js";
import { startS3rver, type TestS3Server } from "@berth/storage/testing";
import { selfSignedCertificate } from "./self-signed-cert.js";

export const SERVICE = "berth-registry";
export const ISSUER = "berth-token-issuer";
export const REALM = "http://127.0.0.1:1/service/token";

/** One running registry app. */
export interface Instance {
  port: number;
  store: RegistryStore;
  /** The instance's database client: main.ts's lean client (raw SQL over pg), not Prisma's. */
  prisma: SqlClient;
  server: Server;
  /** This instance's storage driver (its own S3 client with `driver: "s3"`). */
  driver: StorageDriver;
  /** With `proxy`: the instance's proxy cache. */
  proxy?: ProxyCache;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  /** Storage of the apps: a temporary directory (default) or a bucket of an in-process s3rver. */
  driver?: "filesystem" | "s3";
  /** S3 only: blob GETs answer 307 to a presigned URL. */
  redirect?: boolean;
  /** S3 only: multipart part size (default 5 MiB, the least S3 allows). */
  chunkSize?: number;
  /** Filesystem only: the front proxy's internal location (blob GETs answer `X-Accel-Redirect`). */
  internalRedirectLocation?: string;
  /** Serve proxy cache projects (each instance its own Redis client on `redisUrl`, as main.ts). */
  proxy?: { redisUrl: string; revalidateMs?: number; upstreamTimeoutMs?: number };
}

/** A response, body buffered. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json(): any;
}

export interface Harness {
  db: TestDatabase;
  /** Temporary directory: the filesystem storage (`storage/`), the certificate, s3rver's objects (`s3/`). */
  storageDir: string;
  /** With `driver: "s3"`: the server and the bucket the apps share. */
  s3?: { server: TestS3Server; bucket: string };
  instances: Instance[];
  /** The first instance's port. */
  port: number;
  /** The first instance's database client (for assertions). */
  prisma: SqlClient;
  privateKey: import("node:crypto").KeyObject;
  certFile: string;
  addInstance(): Promise<Instance>;
  /** A token granting `access` entries (`"repository:a/b:pull,push"` strings or objects). */
  token(access: (string | { type: string; name: string; actions: string[] })[], options?: jwt.SignOptions & { payload?: object }): string;
  request(method: string, path: string, options?: { token?: string; headers?: Record<string, string | number>; body?: Buffer | string; port?: number }): Promise<Reply>;
  close(): Promise<void>;
}

const quietLogger = () =>
  createLogger({
    service: "registry-test",
    level: process.env["BERTH_TEST_LOG_LEVEL"] ?? "error",
    stdout: new Writable({ write: (_c, _e, cb) => cb() }),
  });

export async function startHarness(adminUrl: string, options: HarnessOptions = {}): Promise<Harness> {
  const db = await createTestDatabase(adminUrl);
  const storageDir = await mkdtemp(join(tmpdir(), "berth-registry-test-"));
  let s3: Harness["s3"];
  if (options.driver === "s3") {
    const dir = join(storageDir, "s3");
    await mkdir(dir);
    const server = await startS3rver(dir);
    s3 = { server, bucket: await server.createBucket() };
  }
  const makeDriver = (): StorageDriver =>
    s3 !== undefined
      ? new S3Driver(
          s3.server.driverOptions(s3.bucket, {
            redirect: options.redirect ?? false,
            ...(options.chunkSize !== undefined && { chunkSize: options.chunkSize }),
          }),
        )
      : new FilesystemDriver({ rootDirectory: join(storageDir, "storage"), internalRedirectLocation: options.internalRedirectLocation });
  const { privateKey, certPem } = selfSignedCertificate();
  const certFile = join(storageDir, "tls.crt");
  await writeFile(certFile, certPem);
  const publicKey = await loadTokenKeyFile(certFile);
  const instances: Instance[] = [];
  const closers: (() => Promise<void>)[] = [];

  async function addInstance(): Promise<Instance> {
    // The client main.ts uses (raw SQL over pg).
    const prisma = createSqlClient(db.url, { poolSize: 5 });
    const driver = makeDriver();
    const store = createRegistryStore({ db: prisma, driver, pullFlushIntervalMs: 100 });
    const authorizer = new TokenAuthorizer({ verifier: new TokenVerifier({ publicKey, issuer: ISSUER, service: SERVICE }), realm: REALM, service: SERVICE });
    const logger = quietLogger();
    let proxy: ProxyCache | undefined;
    let redis: Redis | undefined;
    if (options.proxy) {
      redis = createRedisClient(options.proxy.redisUrl, logger);
      proxy = createProxyCache({
        store,
        redis,
        logger,
        dataKey: undefined,
        revalidateMs: options.proxy.revalidateMs ?? 0,
        upstreamTimeoutMs: options.proxy.upstreamTimeoutMs ?? 5_000,
      });
      const client = redis;
      closers.push(async () => {
        await proxy?.close();
        await closeRedis(client);
      });
    }
    const app = createApp({ logger, readiness: {}, store, authorizer, proxy });
    // As main.ts listens (malformed requests get JSON errors from @berth/http's listen).
    const server = await listen(app, "127.0.0.1", 0);
    const instance = { port: (server.address() as AddressInfo).port, store, prisma, server, driver, ...(proxy && { proxy }) };
    instances.push(instance);
    return instance;
  }

  const first = await addInstance();

  function token(access: Parameters<Harness["token"]>[0], options: jwt.SignOptions & { payload?: object } = {}): string {
    const entries = access.map((a) => {
      if (typeof a !== "string") return a;
      const [type, ...rest] = a.split(":");
      const actions = rest.pop()!;
      return { type: type!, name: rest.join(":"), actions: actions.split(",") };
    });
    const { payload, ...signOptions } = options;
    return jwt.sign({ access: entries, ...payload }, privateKey, {
      algorithm: "RS256",
      issuer: ISSUER,
      audience: SERVICE,
      subject: "tester",
      ...(payload && "exp" in payload ? {} : { expiresIn: 300 }),
      ...signOptions,
    });
  }

  function request(method: string, path: string, options: Parameters<Harness["request"]>[2] = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...options.headers };
      if (options.token) headers["Authorization"] = `Bearer ${options.token}`;
      if (options.body !== undefined && headers["Content-Length"] === undefined) headers["Content-Length"] = Buffer.byteLength(options.body);
      const req = httpRequest({ host: "127.0.0.1", port: options.port ?? first.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body.toString("utf8")) });
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(options.body);
    });
  }

  return {
    db,
    storageDir,
    ...(s3 !== undefined && { s3 }),
    instances,
    port: first.port,
    prisma: first.prisma,
    privateKey,
    certFile,
    addInstance,
    token,
    request,
    async close() {
      for (const close of closers) await close();
      for (const i of instances) {
        i.server.closeAllConnections();
        await new Promise((r) => i.server.close(r));
        await i.store.close();
        await i.prisma.$disconnect();
        await i.driver.close?.();
      }
      await s3?.server.close();
      await db.drop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}
