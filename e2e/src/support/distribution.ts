// CNCF Distribution (Debian's docker-registry) for end-to-end tests: plain, with Berth's token
// auth (a stand-in for Docker Hub's token realm), and behind an nginx that answers 429 with
// Retry-After once a request rate is exceeded (limit_req) — real servers, no mocks.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findExecutable, pickFreeTcpPort, ProcessSupervisor } from "@berth/local-stack";

export interface RunningRegistry {
  url: string;
  port: number;
  /** Where its blobs live (for assertions). */
  storage: string;
}

export class Distributions {
  readonly dir = mkdtempSync(join(tmpdir(), "berth-e2e-distribution-"));
  readonly output: string[] = [];
  private readonly supervisor = new ProcessSupervisor({ output: (line) => this.keep(line) });

  private keep(line: string): void {
    this.output.push(line);
    if (this.output.length > 500) this.output.splice(0, this.output.length - 500);
  }

  /** A Distribution on a free port; `auth` makes it trust `issuer`'s tokens from `realm` (Berth's token service). */
  async registry(name: string, auth?: { realm: string; certFile: string }): Promise<RunningRegistry> {
    const binary = findExecutable("docker-registry");
    if (!binary) throw new Error("docker-registry not found (Debian: apt-get install -y docker-registry)");
    const port = await pickFreeTcpPort();
    const base = join(this.dir, name);
    const storage = join(base, "storage");
    mkdirSync(storage, { recursive: true });
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
        "  filesystem:",
        `    rootdirectory: ${storage}`,
        "  delete:",
        "    enabled: true",
        "http:",
        `  addr: 127.0.0.1:${port}`,
        ...(auth
          ? ["auth:", "  token:", `    realm: ${auth.realm}`, "    service: berth-registry", "    issuer: berth-token-issuer", `    rootcertbundle: ${auth.certFile}`]
          : []),
        "",
      ].join("\n"),
    );
    await this.supervisor.spawn({ name, command: binary, args: ["serve", config], tier: 0, stopSteps: [{ signal: "SIGTERM", waitMs: 5_000 }], deathSignal: "SIGTERM" });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/v2/`, auth ? 401 : 200, () => this.output.slice(-5).join("\n"));
    return { url, port, storage };
  }

  /**
   * nginx in front of `upstreamPort` allowing `rate` requests per second to `/v2/` (burst `burst`);
   * beyond it answers 429 with `Retry-After: 1` (`limit_req_status`, `add_header … always`).
   * With `accessLog`, every request is logged (`$request $status`, one a line) to `accessLog`.
   */
  async rateLimitedFront(name: string, upstreamPort: number, rate: number, burst: number, options: { accessLog?: boolean } = {}): Promise<{ url: string; port: number; accessLog: string }> {
    const nginx = findExecutable("nginx");
    if (!nginx) throw new Error("nginx not found (Debian: apt-get install -y nginx)");
    const port = await pickFreeTcpPort();
    const prefix = join(this.dir, name);
    for (const d of ["logs", "tmp"]) mkdirSync(join(prefix, d), { recursive: true });
    let user = "";
    if (process.getuid?.() === 0) {
      user = "user root root;";
      chmodSync(this.dir, 0o755);
    }
    const conf = join(prefix, "nginx.conf");
    const accessLog = join(prefix, "logs", "access.log");
    writeFileSync(
      conf,
      `${user}
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log stderr warn;
events { worker_connections 512; }
http {
  log_format requests '$request $status';
  access_log ${options.accessLog ? `${accessLog} requests` : "off"};
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  limit_req_zone $server_port zone=replication:1m rate=${rate}r/s;
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 0;
    location /v2/ {
      limit_req zone=replication burst=${burst} nodelay;
      limit_req_status 429;
      add_header Retry-After 1 always;
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_set_header Host $http_host;
      proxy_http_version 1.1;
      proxy_request_buffering off;
      proxy_buffering off;
    }
  }
}
`,
    );
    await this.supervisor.spawn({
      name,
      command: nginx,
      args: ["-p", prefix, "-c", conf, "-e", "stderr", "-g", "daemon off;"],
      tier: 1,
      stopSteps: [{ signal: "SIGQUIT", waitMs: 3_000 }, { signal: "SIGTERM", waitMs: 1_000 }],
      deathSignal: "SIGTERM",
    });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/v2/`, 200, () => this.output.slice(-5).join("\n"));
    return { url, port, accessLog };
  }

  /** SIGSTOP (`paused`: a hung server, connections accepted and never answered) or SIGCONT `name`. */
  signal(name: string, signal: "SIGSTOP" | "SIGCONT"): void {
    const child = this.supervisor.latest(name);
    if (!child?.running) throw new Error(`${name} is not running`);
    process.kill(child.pid, signal);
  }

  /** Stops `name` (the others keep running). */
  async stopOne(name: string): Promise<void> {
    const child = this.supervisor.latest(name);
    if (child) await this.supervisor.stop(child);
  }

  async stop(): Promise<void> {
    try {
      await this.supervisor.stopAll();
    } finally {
      this.supervisor.killAllNow();
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

async function waitFor(url: string, status: number, tail: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    if (res) await res.arrayBuffer().catch(() => undefined);
    if (res?.status === status) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status}:\n${tail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
