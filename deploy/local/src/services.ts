import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { nodeOptionsOf } from "@berth/config";
import type { ProcessSupervisor, SupervisedChild } from "./process-supervisor.js";
import { httpProbe, StartupError, waitUntil } from "./wait.js";

/** The Node services, in start order (the log-collector first, so the others' logs reach it). */
export const SERVICE_NAMES = ["log-collector", "core", "registry", "jobservice", "scanner-adapter"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface ServiceContext {
  repoRoot: string;
  /** Where a service's entry point is; default `<repoRoot>/services/<name>/dist/main.js`. */
  serviceMain?: ((name: ServiceName) => string) | undefined;
  dataDir: string;
  logLevel: string;
  ports: Record<ServiceName, number> & { postgres: number; redis: number; syslog: number };
  adminPassword: string;
  externalUrl: string;
  /** The launcher's environment: every variable passes through, ours override. */
  baseEnv: NodeJS.ProcessEnv;
}

const local = (port: number) => `http://127.0.0.1:${port}`;

/** The nginx location the registry's `X-Accel-Redirect` answers point into (services/proxy). */
export const BLOB_ACCEL_LOCATION = "/_berth_blobs/";

/**
 * The registry's filesystem storage root as the registry will resolve it (`BERTH_STORAGE_*` of
 * the launcher's environment; default `<data>/registry`), or `undefined` with other storage.
 */
export function registryBlobRoot(ctx: Pick<ServiceContext, "dataDir" | "baseEnv">): string | undefined {
  const driver = ctx.baseEnv["BERTH_STORAGE_DRIVER"] ?? "";
  if (driver !== "" && driver !== "filesystem") return undefined;
  const root = ctx.baseEnv["BERTH_STORAGE_FILESYSTEM_ROOT"];
  return root ? resolve(root) : join(resolve(ctx.dataDir), "registry");
}

/** The environment of one service, per the launcher/service contract (docs/local-stack.md). */
export function serviceEnv(name: ServiceName, ctx: ServiceContext): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...ctx.baseEnv,
    BERTH_HOST: "127.0.0.1",
    BERTH_PORT: String(ctx.ports[name]),
    BERTH_LOG_LEVEL: ctx.logLevel,
    BERTH_DATA_DIR: ctx.dataDir,
    BERTH_LOG_COLLECTOR_URL: local(ctx.ports["log-collector"]),
    BERTH_DATABASE_URL: `postgresql://berth@127.0.0.1:${ctx.ports.postgres}/berth`,
    BERTH_REDIS_URL: `redis://127.0.0.1:${ctx.ports.redis}`,
    // The URL clients use: the registry's token realm, webhook payloads' resource and callback URLs.
    BERTH_EXTERNAL_URL: ctx.externalUrl,
  };
  if (name === "log-collector") {
    env["BERTH_LOG_DIR"] = join(ctx.dataDir, "logs");
    env["BERTH_SYSLOG_PORT"] = String(ctx.ports.syslog);
  }
  if (name === "registry" && registryBlobRoot(ctx) !== undefined && ctx.baseEnv["BERTH_REGISTRY_ACCEL_REDIRECT"] === undefined) {
    // nginx sends blob bytes from the storage directory (sendfile); the registry authorizes.
    env["BERTH_REGISTRY_ACCEL_REDIRECT"] = BLOB_ACCEL_LOCATION;
  }
  if (name === "core") {
    env["BERTH_ADMIN_PASSWORD"] = ctx.adminPassword;
    env["BERTH_REGISTRY_URL"] = local(ctx.ports.registry);
    env["BERTH_JOBSERVICE_URL"] = local(ctx.ports.jobservice);
    env["BERTH_SCANNER_ADAPTER_URL"] = local(ctx.ports["scanner-adapter"]);
  } else {
    // Only core creates the admin account; nobody else needs its password.
    delete env["BERTH_ADMIN_PASSWORD"];
  }
  return env;
}

/** Starts one service and waits for `GET /livez`. */
export async function startService(
  name: ServiceName,
  ctx: ServiceContext,
  supervisor: ProcessSupervisor,
  tier: number,
  signal?: AbortSignal,
): Promise<SupervisedChild> {
  const main = ctx.serviceMain?.(name) ?? join(ctx.repoRoot, "services", name, "dist", "main.js");
  if (!existsSync(main)) throw new StartupError(`${main} is missing; build first (pnpm run build, or npm start which builds)`);
  const child = await supervisor.spawn({
    name,
    command: process.execPath,
    // The program's own Node flags (its package.json's `berth.nodeOptions`: the registry's small
    // young generation and slow heap growth keep its resident memory down; docs/operations.md).
    args: [...nodeOptionsOf(join(ctx.repoRoot, "services", name, "package.json")), main],
    cwd: ctx.repoRoot,
    env: serviceEnv(name, ctx),
    tier,
    // A service's own stop ends within 15 s (10 s for requests in flight, then its closers, each
    // bounded): wait a little longer, so it always ends on its own (docs/local-stack.md).
    stopSteps: [{ signal: "SIGTERM", waitMs: name === "log-collector" ? 4_000 : 16_000 }],
    deathSignal: "SIGTERM",
    format: "berth-json",
  });
  await waitUntil(httpProbe(`${local(ctx.ports[name])}/livez`), { what: name, timeoutMs: 60_000, child, signal });
  return child;
}
