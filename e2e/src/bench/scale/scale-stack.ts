// One Berth stack under `npm run bench:scale`: the whole local stack (LocalStack) from a given
// checkout, with what the scenarios need — tokens (cached per scope, refreshed before expiry),
// Basic credentials, the internal ports (metrics, PostgreSQL) and the registry's PID.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LocalStack, pickFreeTcpPort, postgresBinDir, type RunningStack } from "@berth/local-stack";
import { basicAuth } from "../../support/http.js";
import { HttpClient, Repo } from "../../support/oci-client.js";

export interface ScaleStackOptions {
  label: string;
  repoRoot: string;
  dataDir: string;
  adminPassword: string;
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export class ScaleStack {
  readonly http: HttpClient;
  readonly #tokens = new Map<string, { header: Record<string, string>; validUntil: number }>();

  private constructor(
    readonly label: string,
    private readonly stack: LocalStack,
    readonly running: RunningStack,
    readonly adminPassword: string,
  ) {
    this.http = new HttpClient(running.urls.frontDoor, 1024);
  }

  static async start(o: ScaleStackOptions): Promise<ScaleStack> {
    const port = await pickFreeTcpPort();
    const stack = new LocalStack({
      dataDir: o.dataDir,
      httpHost: "127.0.0.1",
      httpPort: port,
      adminPassword: o.adminPassword,
      logLevel: "warn",
      repoRoot: o.repoRoot,
      log: (line) => o.log(`[${o.label}] ${line}`),
      output: () => {},
      ...(o.env && { env: { ...process.env, ...o.env } }),
    });
    const running = await stack.start();
    return new ScaleStack(o.label, stack, running, o.adminPassword);
  }

  get baseUrl(): string {
    return this.running.urls.frontDoor;
  }

  get admin(): Record<string, string> {
    return basicAuth("admin", this.adminPassword);
  }

  /** `postgresql://…` of the stack's database (the benchmark seeds and inspects through it). */
  get databaseUrl(): string {
    return `postgresql://berth@127.0.0.1:${this.running.ports.postgres}/berth`;
  }

  /** `GET /metrics` of a service, on its internal port. */
  async metrics(service: "registry" | "core" | "jobservice"): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.running.ports[service]}/metrics`, { signal: AbortSignal.timeout(10_000) });
    return res.text();
  }

  /**
   * Work the pushes left behind in jobservice: outbox events not yet relayed plus queued and
   * running jobs (delayed ones are the cron schedulers' next runs, always there), from its metrics.
   */
  async backlog(): Promise<number> {
    let n = 0;
    for (const line of (await this.metrics("jobservice")).split("\n")) {
      const m = /^(berth_outbox_pending_events|berth_queue_jobs\{[^}]*state="(?:waiting|prioritized|active)"[^}]*\}) (\d+)/.exec(line);
      if (m) n += Number(m[2]);
    }
    return n;
  }

  registryPid(): number | undefined {
    try {
      const pids = JSON.parse(readFileSync(join(this.running.dataDir, "run", "pids.json"), "utf8")) as { children: { name: string; pid: number }[] };
      return pids.children.find((c) => c.name === "registry")?.pid;
    } catch {
      return undefined;
    }
  }

  /** A bearer token for `scope` (with the admin's Basic credentials), cached until close to expiry. */
  async token(scope: string): Promise<Record<string, string>> {
    const cached = this.#tokens.get(scope);
    if (cached && cached.validUntil > Date.now()) return cached.header;
    const header = await this.fetchToken(scope);
    this.#tokens.set(scope, { header, validUntil: Date.now() + 60_000 });
    return header;
  }

  /** A fresh token from `/service/token` (what a client does before pushing to a repository). */
  async fetchToken(scope: string, credentials: Record<string, string> = this.admin): Promise<Record<string, string>> {
    const q = new URLSearchParams({ service: "berth-registry", scope });
    const res = await this.http.send({ method: "GET", path: `/service/token?${q}`, headers: credentials, expect: [200], timeoutMs: 120_000 });
    const body = JSON.parse(res.body.toString("utf8")) as { token: string };
    return { authorization: `Bearer ${body.token}` };
  }

  async repo(name: string): Promise<Repo> {
    return new Repo(this.http, name, await this.token(`repository:${name}:pull,push`));
  }

  /**
   * Runs `sql` with psql against the stack's database (seeding and bookkeeping, never timed);
   * several statements run one after the other, each in its own transaction.
   */
  psql(sql: string): string {
    const psql = join(postgresBinDir(), "psql");
    return execFileSync(psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-d", this.databaseUrl, "-f", "-"], { encoding: "utf8", maxBuffer: 1 << 30, input: sql });
  }

  async stop(): Promise<void> {
    this.http.close();
    await this.stack.stop();
  }

  killNow(): void {
    this.stack.killNow();
  }
}
