import { dataKeyPath, ensureDataKey } from "@berth/secrets";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrateDatabase } from "@berth/db";
import { resolveAdminPassword, type AdminPassword } from "./admin-secret.js";
import type { ChildLine, Level } from "./child-output.js";
import type { LocalTls } from "./config.js";
import { LogForwarder } from "./log-forwarder.js";
import { parseTrustedProxies, startNginx, TRUSTED_PROXIES_VAR } from "./nginx.js";
import { assertTcpPortFree, pickPorts } from "./ports.js";
import { startPostgres } from "./postgres.js";
import { ProcessSupervisor, type ExitInfo, type SupervisedChild } from "./process-supervisor.js";
import { startRedis } from "./redis.js";
import { RestartPolicy } from "./restart-policy.js";
import { RunState } from "./run-state.js";
import { registryBlobRoot, SERVICE_NAMES, startService, type ServiceContext, type ServiceName } from "./services.js";
import { frontDoorCertificate } from "./tls.js";
import { httpProbe, StartupError, waitUntil } from "./wait.js";

export interface StackOptions {
  /** Absolute path of the data directory. */
  dataDir: string;
  httpHost: string;
  httpPort: number;
  /** Unset: generated once and kept in `<data>/secrets/admin-password`. */
  adminPassword?: string | undefined;
  /** Default `http://<front door host>:<httpPort>`, or `https://<front door host>:<HTTPS port>` with HTTPS. */
  externalUrl?: string | undefined;
  /** HTTPS at the front door; the HTTP port then redirects to it. Unset: plain HTTP only. */
  tls?: LocalTls | undefined;
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
  /**
   * Every line the children print, readable (`[core] warn: …`) and read; default: all of them
   * on stdout. Whatever the services do not send to the log-collector themselves (PostgreSQL's,
   * Redis's and nginx's output) the stack sends there, with the launcher's own lines.
   */
  output?: (text: string, line: ChildLine) => void;
  healthTimeoutMs?: number;
  /**
   * Restart a process that dies on its own after start-up — any of them: the services,
   * PostgreSQL, Redis, nginx — with backoff, giving up (and stopping the stack) on a crash loop;
   * see {@link RestartPolicy}. Default true (`BERTH_RESTART_CHILDREN=0` turns it off: any crash
   * stops the stack).
   */
  restartChildren?: boolean;
}

/** Ports of everything the stack runs (also in `<data>/run/ports.json`); `https` with HTTPS. */
export type StackPorts = Record<"http" | "postgres" | "redis" | "syslog" | ServiceName, number> & { https?: number };

export interface StackExit {
  /** `stopped`: stop() was called; `crashed`: a child died and could not be restarted, and the rest were stopped. */
  reason: "stopped" | "crashed";
  child?: string;
  info?: ExitInfo;
  /** Why the stack stopped on its own (`registry crashed 5 times in a row …`). */
  message?: string;
}

export interface RunningStack {
  /** `frontDoor`: where the stack itself reaches nginx (the HTTPS port with HTTPS). */
  urls: { frontDoor: string; external: string; health: string };
  /** With HTTPS: the files nginx serves, and the CA clients trust when it is the generated one. */
  tls?: { certFile: string; caFile?: string | undefined };
  ports: StackPorts;
  admin: AdminPassword & { username: "admin" };
  dataDir: string;
  stop(): Promise<void>;
  exited: Promise<StackExit>;
}

/**
 * Stop order, highest first: nginx, the services, PostgreSQL and Redis, and the log-collector
 * last — it started first, so every other process's lines, their last ones included, reach it.
 */
const TIER = { logCollector: 0, data: 1, services: 2, proxy: 3 } as const;

/** A crash and a stop signal usually arrive together (a supervisor signalling every process): let the stop win. */
const CRASH_SETTLE_MS = 200;

function describeExit(info: ExitInfo): string {
  return info.signal ? `signal ${info.signal}` : `exit code ${info.code}`;
}

function lastOutput(child: SupervisedChild): string {
  const lines = child.recentOutput.slice(-5);
  return lines.length ? `. Its last output:${lines.map((l) => `\n    ${l}`).join("")}` : "";
}

/**
 * The whole suite on one machine: the log-collector, PostgreSQL and Redis, migrations, core,
 * the three other services, nginx; then waits until `/api/v2.0/health` is 200 through the front
 * door. A process that dies on its own is restarted (see `restartChildren`); when it cannot be,
 * everything stops (see `exited`).
 */
export class LocalStack {
  private readonly supervisor: ProcessSupervisor;
  private readonly runState: RunState;
  private readonly abort = new AbortController();
  private readonly policy: RestartPolicy;
  private readonly print: (line: string) => void;
  private forwarder: LogForwarder | undefined;
  private stopping: Promise<void> | undefined;
  private crash: { child: string; info: ExitInfo | undefined; message: string } | undefined;
  private resolveExited!: (exit: StackExit) => void;
  /** Start-up finished: from now on the restart policy applies. */
  private startedUp = false;
  /** How to start each process again, by name. */
  private readonly starters = new Map<string, () => Promise<SupervisedChild>>();
  readonly exited: Promise<StackExit>;

  constructor(private readonly options: StackOptions) {
    this.print = options.log ?? ((line) => process.stdout.write(`[berth] ${line}\n`));
    this.runState = new RunState(options.dataDir);
    this.policy = new RestartPolicy({ enabled: options.restartChildren ?? true });
    const output = options.output ?? ((text: string) => process.stdout.write(`${text}\n`));
    this.supervisor = new ProcessSupervisor({
      output: (text, line) => {
        if (!line.collected) this.forwarder?.send(line.source, line.level, line.raw);
        output(text, line);
      },
      onUnexpectedExit: (child, info) => void setTimeout(() => this.onCrash(child, info), CRASH_SETTLE_MS),
      onChange: (children) => this.runState.recordChildren(children),
    });
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  /** The launcher's own line: printed, and kept by the log-collector as service `launcher`. */
  private log(line: string, level: Level = "info"): void {
    this.print(line);
    this.forwarder?.send("launcher", level, line);
  }

  private onCrash(child: SupervisedChild, info: ExitInfo): void {
    if (this.crash || this.stopping) return;
    const how = describeExit(info);
    const start = this.startedUp ? this.starters.get(child.name) : undefined;
    const decision = start ? this.policy.onCrash(child.name, Date.now() - child.startedAt) : undefined;
    if (start && decision?.restart) {
      this.log(`${child.name} stopped unexpectedly (${how}); restarting it in ${decision.delayMs} ms (it was PID ${child.pid})${lastOutput(child)}`, "warn");
      setTimeout(() => void this.restart(child, start), decision.delayMs);
      return;
    }
    const why =
      decision?.restart === false && decision.reason === "crash-loop"
        ? `${child.name} crashed ${decision.crashes} times in a row, each time within ${this.policy.stableSeconds} s of starting (${how}); giving up`
        : `${child.name} (PID ${child.pid}) stopped unexpectedly (${how})`;
    this.fail(child.name, info, why, lastOutput(child));
  }

  /** Stops the stack because `name` cannot run; `exited` says why. */
  private fail(name: string, info: ExitInfo | undefined, why: string, details = ""): void {
    if (this.crash || this.stopping) return;
    this.crash = { child: name, info, message: why };
    this.log(`${why}; stopping Berth${details}`, "error");
    void this.stop();
  }

  private async restart(dead: SupervisedChild, start: () => Promise<SupervisedChild>): Promise<void> {
    if (this.stopping || this.crash) return;
    await this.supervisor.reapGroup(dead);
    if (this.stopping || this.crash) return;
    try {
      const child = await start();
      this.log(`${dead.name} restarted (PID ${child.pid})`);
    } catch (err) {
      if (this.stopping || this.crash) return;
      const latest = this.supervisor.latest(dead.name);
      // It died again while starting: that exit was reported, and counted, as a crash.
      if (latest && latest !== dead && !latest.running) return;
      if (latest && latest !== dead) await this.supervisor.stop(latest);
      this.fail(dead.name, undefined, `could not restart ${dead.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Starts a process and remembers how, for the restart policy. */
  private run(name: string, start: () => Promise<SupervisedChild>): Promise<SupervisedChild> {
    this.starters.set(name, start);
    return start();
  }

  async start(): Promise<RunningStack> {
    const { dataDir, httpHost, httpPort } = this.options;
    const signal = this.abort.signal;
    const log = (line: string) => this.log(line);
    try {
      mkdirSync(dataDir, { recursive: true });
      this.runState.acquire();
      const reaped = await this.runState.reapLeftovers();
      if (reaped.length) this.log(`stopped processes left over from an earlier start: ${reaped.join(", ")}`);
      await assertTcpPortFree(httpHost, httpPort, "set BERTH_HTTP_PORT to a free port (is another Berth running?)");
      const tls = this.options.tls;
      if (tls) await assertTcpPortFree(httpHost, tls.port, "set BERTH_HTTPS_PORT to a free port (is another Berth running?)");

      // Where the front door is reached from this machine: its address, or loopback when it listens on every one.
      const host = httpHost === "0.0.0.0" || httpHost === "::" ? "127.0.0.1" : httpHost.includes(":") ? `[${httpHost}]` : httpHost;
      const frontDoor = tls ? `https://${host}:${tls.port}` : `http://${host}:${httpPort}`;
      const externalUrl = this.options.externalUrl ?? frontDoor;

      const admin = resolveAdminPassword(dataDir, this.options.adminPassword);
      // The data key sealing stored credentials (registry endpoints), read by core and jobservice.
      const dataKeyFile = (this.options.env ?? process.env)["BERTH_DATA_KEY_FILE"] || dataKeyPath(dataDir);
      if (ensureDataKey(dataKeyFile).created) this.log(`created the data key ${dataKeyFile} (keep it with backups: stored credentials need it)`);
      const picked = await pickPorts(["postgres", "redis", ...SERVICE_NAMES], ["syslog"], tls ? [httpPort, tls.port] : [httpPort]);
      const ports: StackPorts = { http: httpPort, ...(tls && { https: tls.port }), ...picked };
      this.runState.writeJson("ports.json", ports);
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
      const service = (name: ServiceName, tier: number) => this.run(name, () => startService(name, ctx, this.supervisor, tier, signal));

      // First, so that every other process's lines reach it (and last to stop).
      this.forwarder = new LogForwarder(`http://127.0.0.1:${ports["log-collector"]}`);
      if (tls && externalUrl.startsWith("http:")) {
        this.log(`BERTH_EXTERNAL_URL is ${externalUrl} while the front door serves HTTPS: clients are sent to plain HTTP for tokens (and redirected); set it to the https:// URL they use`, "warn");
      }
      // Before anything starts (the forwarder keeps these lines for the collector): a certificate that cannot be served stops the launcher here.
      const certificate = tls && (await frontDoorCertificate({ tls, dataDir, externalUrl, repoRoot: this.options.repoRoot }));
      for (const note of certificate?.notes ?? []) this.log(note, note.startsWith("warning: ") ? "warn" : "info");
      this.log("starting the log-collector");
      await service("log-collector", TIER.logCollector);

      this.log(`starting PostgreSQL (port ${ports.postgres}) and Redis (port ${ports.redis}) with data in ${dataDir}`);
      let databaseUrl = "";
      await Promise.all([
        this.run("postgres", async () => {
          const postgres = await startPostgres({
            dir: join(dataDir, "postgres"),
            port: ports.postgres,
            socketDir: join(this.runState.dir, "postgres"),
            binDir: this.options.pgBinDir,
            log,
            supervisor: this.supervisor,
            signal,
            tier: TIER.data,
          });
          databaseUrl = postgres.url;
          return postgres.child;
        }),
        this.run("redis", async () => {
          const redis = await startRedis({
            dir: join(dataDir, "redis"),
            port: ports.redis,
            pidFile: this.runState.path("redis.pid"),
            supervisor: this.supervisor,
            signal,
            tier: TIER.data,
          });
          return redis.child;
        }),
      ]);

      this.log("migrating the database");
      // Prisma's whole report goes to the log-collector; the terminal gets its last line, or all of it on failure.
      const report: string[] = [];
      try {
        await (this.options.migrate ?? migrateDatabase)(databaseUrl, (line) => {
          report.push(line);
          this.forwarder?.send("launcher", "info", `migrate: ${line}`);
        });
      } catch (err) {
        for (const line of report.slice(-30)) this.print(`migrate: ${line}`);
        throw err;
      }
      if (report.length) this.print(`migrate: ${report.at(-1)}`);
      if (signal.aborted) throw new StartupError("start-up was interrupted");

      // Core next: it creates the admin account and the token signing certificate the registry trusts.
      this.log("starting core");
      await service("core", TIER.services);
      this.log("starting registry, jobservice and scanner-adapter");
      await Promise.all(SERVICE_NAMES.filter((n) => n !== "log-collector" && n !== "core").map((n) => service(n, TIER.services)));

      this.log(`starting nginx on ${httpHost}:${httpPort}${tls ? ` (redirecting to HTTPS) and ${httpHost}:${tls.port} (HTTPS)` : ""}`);
      await this.run("proxy", async () => {
        const nginx = await startNginx({
          dir: join(dataDir, "nginx"),
          templateFile: join(this.options.repoRoot, "services", "proxy", "nginx.conf.template"),
          htmlDir: join(this.options.repoRoot, "services", "proxy", "html"),
          listenHost: httpHost,
          listenPort: httpPort,
          upstreams: { registry: ports.registry, core: ports.core, jobservice: ports.jobservice },
          syslogPort: ports.syslog,
          blobRoot: registryBlobRoot(ctx),
          trustedProxies: parseTrustedProxies(ctx.baseEnv[TRUSTED_PROXIES_VAR]),
          tls: certificate && tls && { certFile: certificate.certFile, keyFile: certificate.keyFile, port: tls.port, publicPort: tls.port, hstsMaxAge: tls.hstsMaxAge },
          supervisor: this.supervisor,
          log,
          signal,
          tier: TIER.proxy,
        });
        return nginx.child;
      });

      const health = `${frontDoor}/api/v2.0/health`;
      this.log("waiting until every component is healthy");
      await waitUntil(httpProbe(health), { what: "Berth", timeoutMs: this.options.healthTimeoutMs ?? 120_000, intervalMs: 500, signal });
      this.startedUp = true;
      return {
        urls: { frontDoor, external: externalUrl, health },
        ...(certificate && { tls: { certFile: certificate.certFile, caFile: certificate.selfSigned?.caFile } }),
        ports,
        admin: { ...admin, username: "admin" },
        dataDir,
        stop: () => this.stop(),
        exited: this.exited,
      };
    } catch (err) {
      await this.stop();
      const crash = this.crash;
      if (crash && err instanceof StartupError && /interrupted/.test(err.message)) throw new StartupError(`${crash.message} during start-up`);
      throw err;
    }
  }

  /** Stops everything (nginx, services, Redis and PostgreSQL, then the log-collector); idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      const stopped = await this.supervisor.stopAll(async (tier) => {
        // The lines of everything stopped so far go to the log-collector before it stops too.
        if (tier === TIER.logCollector) await this.forwarder?.flush();
      });
      // A graceful stop ends with exit code 0 everywhere; anything else is worth a word.
      for (const { child, exit } of stopped) {
        if (exit?.code !== 0) this.log(`${child.name} (PID ${child.pid}) did not stop cleanly (${exit ? describeExit(exit) : "still running"})`, "warn");
      }
      this.runState.release();
      const crash = this.crash;
      this.resolveExited(crash ? { reason: "crashed", child: crash.child, ...(crash.info ? { info: crash.info } : {}), message: crash.message } : { reason: "stopped" });
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
