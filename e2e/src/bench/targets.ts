// The registries the benchmark compares, each behind an nginx rendered from the same template
// (services/proxy/nginx.conf.template):
//   Berth         the whole local stack (LocalStack), token auth on, BERTH_LOG_LEVEL=warn
//   Distribution  CNCF Distribution 2.8.2 (`docker-registry serve`), filesystem storage, no auth
//   sink          a Node server that only hashes and discards (sink-target.ts): the ceiling
import type { Socket } from "node:dgram";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { adapterApiKey } from "../support/scanning.js";
import { findExecutable, generatePassword, LocalStack, pickFreeTcpPort, ProcessSupervisor } from "@berth/local-stack";
import { droppingSyslog, keepLines, startFrontDoor, waitForStatus, type SupervisedChild } from "./front-door.js";
import { repoRoot } from "../support/launcher.js";

/**
 * The checkout whose stack is measured as Berth: this one, or a built older checkout named by
 * BERTH_BENCH_BERTH_ROOT (a before/after comparison through the very same harness).
 */
export const berthRoot = process.env["BERTH_BENCH_BERTH_ROOT"] || repoRoot;
import { basicAuth } from "../support/http.js";
import { HttpClient, Repo } from "../support/oci-client.js";

export type TargetName = "berth" | "distribution" | "sink";

export interface Target {
  readonly name: TargetName;
  readonly label: string;
  /** The front door (nginx). */
  readonly baseUrl: string;
  readonly http: HttpClient;
  /** Why this target cannot be measured; undefined when it can. */
  unavailable: string | undefined;
  /** The registry process whose memory is sampled. */
  registryPid(): number | undefined;
  /** A repository client with its Authorization header fetched beforehand (not timed). */
  repo(name: string): Promise<Repo>;
  /** The last lines the target's processes printed (for failure messages). */
  recentOutput(): string[];
  stop(): Promise<void>;
  /** Synchronous last resort (process exit): SIGKILL everything it started. */
  killNow(): void;
}

type Log = (line: string) => void;

// ---------------------------------------------------------------------------------------------
// Berth

interface CachedToken {
  header: Record<string, string>;
  validUntil: number;
}

export class BerthTarget implements Target {
  readonly name = "berth" as const;
  readonly label = "Berth";
  unavailable: string | undefined;
  readonly http: HttpClient;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly output = keepLines(300);

  private constructor(
    private readonly stack: LocalStack,
    readonly baseUrl: string,
    private readonly dataDir: string,
    private readonly password: string,
    private readonly log: Log,
  ) {
    this.http = new HttpClient(baseUrl);
  }

  /** Starts the stack; a start-up failure leaves a target marked unavailable (reported, not hidden). */
  static async start(dir: string, log: Log): Promise<BerthTarget> {
    const port = await pickFreeTcpPort();
    const password = generatePassword();
    const dataDir = join(dir, "berth");
    let output: (line: string) => void = () => {};
    const stack = new LocalStack({
      dataDir,
      httpHost: "127.0.0.1",
      httpPort: port,
      adminPassword: password,
      logLevel: "warn",
      repoRoot: berthRoot,
      log: (line) => log(`[berth] ${line}`),
      output: (line) => output(line),
    });
    const target = new BerthTarget(stack, `http://127.0.0.1:${port}`, dataDir, password, log);
    output = target.output.push;
    try {
      await stack.start();
    } catch (err) {
      target.unavailable = `the stack did not start: ${err instanceof Error ? err.message : String(err)}`;
      return target;
    }
    void stack.exited.then((exit) => {
      if (exit.reason === "crashed") target.unavailable = `the stack stopped: ${exit.child} exited unexpectedly`;
    });
    await target.checkRegistry();
    return target;
  }

  /** The registry's API must be there: `GET /v2/` → 401 with a Bearer challenge, and a token must work. */
  private async checkRegistry(): Promise<void> {
    const res = await fetch(`${this.baseUrl}/v2/`, { signal: AbortSignal.timeout(5_000) });
    await res.arrayBuffer();
    const challenge = res.headers.get("www-authenticate") ?? "";
    if (!(res.status === 401 && /^Bearer /i.test(challenge)) && res.status !== 200) {
      this.unavailable = `its registry API is not there yet (GET /v2/ answered ${res.status}${challenge ? `, ${challenge}` : ""})`;
      return;
    }
    await this.ensureProject("bench");
    try {
      const repo = await this.repo("bench/probe");
      const probe = await repo.http.send({ method: "GET", path: "/v2/", headers: await this.authHeader("bench/probe"), expect: [200] });
      void probe;
    } catch (err) {
      this.unavailable = `a token does not work: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  /** Harbor-style: repositories live in projects. Creates `name` unless it exists. */
  private async ensureProject(name: string): Promise<void> {
    const res = await fetch(`${this.baseUrl}/api/v2.0/projects`, {
      method: "POST",
      headers: { ...basicAuth("admin", this.password), "content-type": "application/json" },
      body: JSON.stringify({ project_name: name, metadata: { public: "false" } }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.status !== 201 && res.status !== 409) this.log(`creating project ${name} answered ${res.status} ${text.slice(0, 200)}; going on`);
  }

  private async authHeader(repo: string): Promise<Record<string, string>> {
    const cached = this.tokens.get(repo);
    if (cached && cached.validUntil > Date.now()) return cached.header;
    const url = new URL(`${this.baseUrl}/service/token`);
    url.searchParams.set("service", "berth-registry");
    url.searchParams.set("scope", `repository:${repo}:pull,push`);
    const res = await fetch(url, { headers: basicAuth("admin", this.password), signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /service/token for ${repo} answered ${res.status}: ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error(`/service/token answered without a token: ${text.slice(0, 200)}`);
    // Docker's token spec: 60 s when unstated. Refetch well before expiry: a workload never
    // outlives a token it was given, so no fetch happens inside a timed section.
    const lifetimeMs = (body.expires_in ?? 60) * 1000;
    const header = { authorization: `Bearer ${token}` };
    this.tokens.set(repo, { header, validUntil: Date.now() + lifetimeMs - Math.min(90_000, lifetimeMs / 2) });
    return header;
  }

  async repo(name: string): Promise<Repo> {
    if (this.unavailable) throw new Error(`Berth is unavailable: ${this.unavailable}`);
    return new Repo(this.http, name, await this.authHeader(name));
  }

  registryPid(): number | undefined {
    return this.servicePid("registry");
  }

  /** The PID of one of the stack's children (`registry`, `core`, …), from `<data>/run/pids.json`. */
  servicePid(name: string): number | undefined {
    return this.services().find((c) => c.name === name)?.pid;
  }

  /** Every process the stack started (`<data>/run/pids.json`, and Redis's own pid file). */
  services(): { name: string; pid: number }[] {
    const found: { name: string; pid: number }[] = [];
    try {
      const pids = JSON.parse(readFileSync(join(this.dataDir, "run", "pids.json"), "utf8")) as { children: { name: string; pid: number }[] };
      found.push(...pids.children.map((c) => ({ name: c.name, pid: c.pid })));
    } catch {
      // not started (yet)
    }
    try {
      const redis = Number(readFileSync(join(this.dataDir, "run", "redis.pid"), "utf8").trim());
      if (Number.isInteger(redis) && redis > 0 && !found.some((c) => c.pid === redis)) found.push({ name: "redis", pid: redis });
    } catch {
      // Redis runs under the supervisor, or not at all
    }
    return found;
  }

  recentOutput(): string[] {
    return this.output.lines;
  }

  /** The built-in scanner adapter: its own URL (not behind nginx), API key (derived from the data key) and PID. */
  scannerAdapter(): { url: string; apiKey: string; pid: number | undefined; adminPassword: string } {
    const ports = JSON.parse(readFileSync(join(this.dataDir, "run", "ports.json"), "utf8")) as Record<string, number>;
    const pids = JSON.parse(readFileSync(join(this.dataDir, "run", "pids.json"), "utf8")) as { children: { name: string; pid: number }[] };
    return {
      url: `http://127.0.0.1:${ports["scanner-adapter"]}`,
      apiKey: adapterApiKey(this.dataDir),
      pid: pids.children.find((c) => c.name === "scanner-adapter")?.pid,
      adminPassword: this.password,
    };
  }

  async stop(): Promise<void> {
    this.http.close();
    await this.stack.stop();
  }

  killNow(): void {
    this.stack.killNow();
  }
}

// ---------------------------------------------------------------------------------------------
// CNCF Distribution + nginx

export class DistributionTarget implements Target {
  readonly name = "distribution" as const;
  readonly label = "Distribution";
  unavailable: string | undefined;
  readonly http: HttpClient;
  private registry: SupervisedChild | undefined;
  private readonly output = keepLines(300);
  private readonly supervisor: ProcessSupervisor;

  private constructor(
    readonly baseUrl: string,
    private readonly syslog: Socket,
  ) {
    this.http = new HttpClient(baseUrl);
    this.supervisor = new ProcessSupervisor({
      output: (line) => this.output.push(line),
      onUnexpectedExit: (child, info) => {
        this.unavailable = `${child.name} exited unexpectedly (${info.signal ?? `code ${info.code}`}): ${child.recentOutput.slice(-3).join(" | ")}`;
      },
    });
  }

  static async start(dir: string, log: Log): Promise<DistributionTarget> {
    const registryPort = await pickFreeTcpPort();
    const httpPort = await pickFreeTcpPort();
    // core and jobservice do not exist here: their upstreams point at a port nobody listens on.
    const closedPort = await pickFreeTcpPort();
    // nginx sends its access log over syslog as in Berth's stack; here it is received and dropped.
    const syslog = await droppingSyslog();

    const target = new DistributionTarget(`http://127.0.0.1:${httpPort}`, syslog);
    try {
      await target.launch(dir, registryPort, httpPort, closedPort, log);
    } catch (err) {
      target.unavailable = err instanceof Error ? err.message : String(err);
    }
    return target;
  }

  private async launch(dir: string, registryPort: number, httpPort: number, closedPort: number, log: Log): Promise<void> {
    const binary = findExecutable("docker-registry");
    if (!binary) throw new Error("docker-registry not found (Debian: apt-get install -y docker-registry)");
    const base = join(dir, "distribution");
    const storage = join(base, "storage");
    mkdirSync(storage, { recursive: true });

    // Debian's packaged configuration (/etc/docker/registry/config.yml) minus htpasswd auth, on
    // loopback; warn-level logs without access logs, like Berth's BERTH_LOG_LEVEL=warn.
    const config = join(base, "config.yml");
    writeFileSync(
      config,
      [
        "version: 0.1",
        "log:",
        "  level: warn",
        "  accesslog:",
        "    disabled: true",
        "storage:",
        "  cache:",
        "    blobdescriptor: inmemory",
        "  filesystem:",
        `    rootdirectory: ${storage}`,
        "  delete:",
        "    enabled: true",
        "http:",
        `  addr: 127.0.0.1:${registryPort}`,
        "  headers:",
        "    X-Content-Type-Options: [nosniff]",
        "",
      ].join("\n"),
    );
    log(`starting CNCF Distribution on 127.0.0.1:${registryPort} (storage ${storage})`);
    this.registry = await this.supervisor.spawn({
      name: "distribution",
      command: binary,
      args: ["serve", config],
      tier: 0,
      stopSteps: [{ signal: "SIGTERM", waitMs: 5_000 }],
      deathSignal: "SIGTERM",
    });
    await waitForStatus(`http://127.0.0.1:${registryPort}/v2/`, [200], 30_000, "Distribution", this.registry);

    // The same template Berth's launcher renders; only the upstreams differ.
    await startFrontDoor({
      supervisor: this.supervisor,
      name: "distribution-proxy",
      scratchDir: dir,
      baseDir: base,
      httpPort,
      upstreams: { registry: `127.0.0.1:${registryPort}`, core: `127.0.0.1:${closedPort}`, jobservice: `127.0.0.1:${closedPort}` },
      syslogPort: this.syslog.address().port,
      log,
    });
  }

  async repo(name: string): Promise<Repo> {
    if (this.unavailable) throw new Error(`Distribution is unavailable: ${this.unavailable}`);
    return new Repo(this.http, name, {});
  }

  registryPid(): number | undefined {
    return this.registry?.running ? this.registry.pid : undefined;
  }

  recentOutput(): string[] {
    return this.output.lines;
  }

  async stop(): Promise<void> {
    this.http.close();
    await this.supervisor.stopAll();
    try {
      this.syslog.close();
    } catch {
      // closed already
    }
  }

  killNow(): void {
    this.supervisor.killAllNow();
  }
}
