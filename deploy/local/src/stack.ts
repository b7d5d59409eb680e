import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrateDatabase } from "@berth/db";
import { resolveAdminPassword, type AdminPassword } from "./admin-secret.js";
import { parseTrustedProxies, startNginx, TRUSTED_PROXIES_VAR } from "./nginx.js";
import { assertTcpPortFree, pickPorts } from "./ports.js";
import { startPostgres } from "./postgres.js";
import { ProcessSupervisor, type ExitInfo, type SupervisedChild } from "./process-supervisor.js";
import { startRedis } from "./redis.js";
import { RunState } from "./run-state.js";
import { registryBlobRoot, SERVICE_NAMES, startService, type ServiceContext, type ServiceName } from "./services.js";
import { httpProbe, StartupError, waitUntil } from "./wait.js";

export interface StackOptions {
  /** Absolute path of the data directory. */
  dataDir: string;
  httpHost: string;
  httpPort: number;
  /** Unset: generated once and kept in `<data>/secrets/admin-password`. */
  adminPassword?: string | undefined;
  /** Default `http://127.0.0.1:<httpPort>`. */
  externalUrl?: string | undefined;
  logLevel?: string;
  pgBinDir?: string | undefined;
  /** The checkout: services/<name>/dist/main.js and services/proxy/ are found from here. */
  repoRoot: string;
  serviceMain?: ServiceContext["serviceMain"];
  /** Runs the schema migrations; default `migrateDatabase` from @berth/db. */
  migrate?: (databaseUrl: string, log: (line: string) => void) => Promise<void>;
  /** Environment every child inherits (ours override); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The launcher's own messages; default `[berth] …` on stdout. */
  log?: (line: string) => void;
  /** The children's output lines; default stdout. */
  output?: (line: string) => void;
  healthTimeoutMs?: number;
  /**
   * Restart a Node service (core, registry, jobservice, scanner-adapter, log-collector) that dies
   * on its own, with backoff (0.5 s doubling to 30 s), instead of stopping the stack. PostgreSQL,
   * Redis and nginx dying still stop everything. Default false (`BERTH_RESTART_CHILDREN=1`).
   */
  restartChildren?: boolean;
}

/** Ports of everything the stack runs (also in `<data>/run/ports.json`). */
export type StackPorts = Record<"http" | "postgres" | "redis" | "syslog" | ServiceName, number>;

export interface StackExit {
  /** `stopped`: stop() was called; `crashed`: a child died on its own and the rest were stopped. */
  reason: "stopped" | "crashed";
  child?: string;
  info?: ExitInfo;
}

export interface RunningStack {
  urls: { frontDoor: string; external: string; health: string };
  ports: StackPorts;
  admin: AdminPassword & { username: "admin" };
  dataDir: string;
  stop(): Promise<void>;
  exited: Promise<StackExit>;
}

const TIER = { data: 0, logCollector: 1, services: 2, proxy: 3 } as const;

/**
 * The whole suite on one machine: PostgreSQL and Redis, migrations, the log-collector, the
 * four other services, nginx; then waits until `/api/v2.0/health` is 200 through the front
 * door. A child dying on its own stops everything (see `exited`).
 */
export class LocalStack {
  private readonly supervisor: ProcessSupervisor;
  private readonly runState: RunState;
  private readonly abort = new AbortController();
  private readonly log: (line: string) => void;
  private stopping: Promise<void> | undefined;
  private crash: { child: SupervisedChild; info: ExitInfo } | undefined;
  private resolveExited!: (exit: StackExit) => void;
  private serviceContext: ServiceContext | undefined;
  /** Start-up finished: from now on the restart policy (if enabled) applies. */
  private startedUp = false;
  private readonly restarts = new Map<string, { count: number; last: number }>();
  readonly exited: Promise<StackExit>;

  constructor(private readonly options: StackOptions) {
    this.log = options.log ?? ((line) => process.stdout.write(`[berth] ${line}\n`));
    this.runState = new RunState(options.dataDir);
    this.supervisor = new ProcessSupervisor({
      ...(options.output ? { output: options.output } : {}),
      onUnexpectedExit: (child, info) => this.onCrash(child, info),
      onChange: (children) => this.runState.recordChildren(children),
    });
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  private onCrash(child: SupervisedChild, info: ExitInfo): void {
    if (this.crash || this.stopping) return;
    if (this.options.restartChildren && this.startedUp && this.serviceContext && (SERVICE_NAMES as readonly string[]).includes(child.name)) {
      this.scheduleRestart(child.name as ServiceName, child.spec.tier, info);
      return;
    }
    this.crash = { child, info };
    const how = info.signal ? `signal ${info.signal}` : `exit code ${info.code}`;
    const output = child.recentOutput.slice(-5).map((l) => `\n    ${l}`).join("");
    this.log(`${child.name} (PID ${child.pid}) stopped unexpectedly (${how}); stopping Berth. Its last output:${output}`);
    void this.stop();
  }

  /** Restart policy (opt-in): backoff 0.5 s doubling to 30 s, reset after 60 s without a crash. */
  private scheduleRestart(name: ServiceName, tier: number, info: ExitInfo): void {
    const now = Date.now();
    const prev = this.restarts.get(name);
    const count = prev && now - prev.last < 60_000 ? prev.count + 1 : 0;
    this.restarts.set(name, { count, last: now });
    const delayMs = Math.min(30_000, 500 * 2 ** count);
    const how = info.signal ? `signal ${info.signal}` : `exit code ${info.code}`;
    this.log(`${name} stopped unexpectedly (${how}); restarting it in ${delayMs} ms (BERTH_RESTART_CHILDREN)`);
    const timer = setTimeout(() => {
      if (this.stopping || this.crash || !this.serviceContext) return;
      startService(name, this.serviceContext, this.supervisor, tier, this.abort.signal).then(
        (c) => this.log(`${name} restarted (PID ${c.pid})`),
        // A child that dies again is reported through onUnexpectedExit and scheduled again.
        (err: unknown) => this.log(`restarting ${name} failed: ${err instanceof Error ? err.message : String(err)}`),
      );
    }, delayMs);
    timer.unref();
  }

  async start(): Promise<RunningStack> {
    const { dataDir, httpHost, httpPort } = this.options;
    const signal = this.abort.signal;
    try {
      mkdirSync(dataDir, { recursive: true });
      this.runState.acquire();
      const reaped = await this.runState.reapLeftovers();
      if (reaped.length) this.log(`stopped processes left over from an earlier start: ${reaped.join(", ")}`);
      await assertTcpPortFree(httpHost, httpPort, "set BERTH_HTTP_PORT to a free port (is another Berth running?)");

      const admin = resolveAdminPassword(dataDir, this.options.adminPassword);
      const picked = await pickPorts(["postgres", "redis", ...SERVICE_NAMES], ["syslog"], [httpPort]);
      const ports: StackPorts = { http: httpPort, ...picked };
      this.runState.writeJson("ports.json", ports);
      const externalUrl = this.options.externalUrl ?? `http://127.0.0.1:${httpPort}`;

      this.log(`starting PostgreSQL (port ${ports.postgres}) and Redis (port ${ports.redis}) with data in ${dataDir}`);
      const [postgres] = await Promise.all([
        startPostgres({
          dir: join(dataDir, "postgres"),
          port: ports.postgres,
          socketDir: join(this.runState.dir, "postgres"),
          binDir: this.options.pgBinDir,
          log: this.log,
          supervisor: this.supervisor,
          signal,
          tier: TIER.data,
        }),
        startRedis({
          dir: join(dataDir, "redis"),
          port: ports.redis,
          pidFile: this.runState.path("redis.pid"),
          supervisor: this.supervisor,
          signal,
          tier: TIER.data,
        }),
      ]);

      this.log("migrating the database");
      await (this.options.migrate ?? migrateDatabase)(postgres.url, (line) => this.log(`migrate: ${line}`));
      if (signal.aborted) throw new StartupError("start-up was interrupted");

      const ctx: ServiceContext = {
        repoRoot: this.options.repoRoot,
        serviceMain: this.options.serviceMain,
        dataDir,
        logLevel: this.options.logLevel ?? "info",
        ports,
        adminPassword: admin.password,
        externalUrl,
        baseEnv: this.options.env ?? process.env,
      };
      this.serviceContext = ctx;
      this.log("starting the log-collector");
      await startService("log-collector", ctx, this.supervisor, TIER.logCollector, signal);
      // Core next: it creates the admin account and the token signing certificate the registry trusts.
      this.log("starting core");
      await startService("core", ctx, this.supervisor, TIER.services, signal);
      this.log("starting registry, jobservice and scanner-adapter");
      await Promise.all(
        SERVICE_NAMES.filter((n) => n !== "log-collector" && n !== "core").map((n) =>
          startService(n, ctx, this.supervisor, TIER.services, signal),
        ),
      );

      this.log(`starting nginx on ${httpHost}:${httpPort}`);
      await startNginx({
        dir: join(dataDir, "nginx"),
        templateFile: join(this.options.repoRoot, "services", "proxy", "nginx.conf.template"),
        htmlDir: join(this.options.repoRoot, "services", "proxy", "html"),
        listenHost: httpHost,
        listenPort: httpPort,
        upstreams: { registry: ports.registry, core: ports.core, jobservice: ports.jobservice },
        syslogPort: ports.syslog,
        blobRoot: registryBlobRoot(ctx),
        trustedProxies: parseTrustedProxies(ctx.baseEnv[TRUSTED_PROXIES_VAR]),
        supervisor: this.supervisor,
        log: this.log,
        signal,
        tier: TIER.proxy,
      });

      const probeHost = httpHost === "0.0.0.0" || httpHost === "::" ? "127.0.0.1" : httpHost.includes(":") ? `[${httpHost}]` : httpHost;
      const frontDoor = `http://${probeHost}:${httpPort}`;
      const health = `${frontDoor}/api/v2.0/health`;
      this.log("waiting until every component is healthy");
      await waitUntil(httpProbe(health), { what: "Berth", timeoutMs: this.options.healthTimeoutMs ?? 120_000, intervalMs: 500, signal });
      this.startedUp = true;
      return {
        urls: { frontDoor, external: externalUrl, health },
        ports,
        admin: { ...admin, username: "admin" },
        dataDir,
        stop: () => this.stop(),
        exited: this.exited,
      };
    } catch (err) {
      const crash = this.crash;
      await this.stop();
      if (crash && err instanceof StartupError && /interrupted/.test(err.message)) {
        throw new StartupError(`${crash.child.name} stopped unexpectedly during start-up`);
      }
      throw err;
    }
  }

  /** Stops everything (nginx, services, log-collector, then Redis and PostgreSQL); idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      await this.supervisor.stopAll();
      this.runState.release();
      this.resolveExited(
        this.crash ? { reason: "crashed", child: this.crash.child.name, info: this.crash.info } : { reason: "stopped" },
      );
    })();
    return this.stopping;
  }

  /** Last resort: SIGKILL every child's process group now (synchronous, for `process.on("exit")`). */
  killNow(): void {
    this.supervisor.killAllNow();
  }
}

/** Starts the stack; resolves once it is healthy. */
export function startStack(options: StackOptions): Promise<RunningStack> {
  return new LocalStack(options).start();
}
