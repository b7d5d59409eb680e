// Berth's docker-compose.yml on a private Docker engine, driven with Debian's docker-compose 1.29:
// the engine (networks, images kept for the test run), the images (built once per run), and one
// compose project per test file with its own .env made from .env.example.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImages, defaultVersion, IMAGES, imageTag } from "@berth/deploy-docker";
import { pickFreeTcpPort, pickFreeUdpPort } from "@berth/local-stack";
import { debianRootfs } from "./debian-rootfs.js";
import { Dockerd } from "./docker.js";
import { run, type RunResult } from "./exec.js";
import { repoRoot } from "./launcher.js";

export const COMPOSE_FILE = join(repoRoot, "docker-compose.yml");
export const BASE_IMAGE = "debian:bookworm-slim";

/**
 * The folder the test runner keeps for the e2e tier (BERTH_E2E_RUN_DIR, removed when the tier
 * ends), so the compose test files share one set of images; undefined outside the runner.
 */
function runDir(): string | undefined {
  return process.env["BERTH_E2E_RUN_DIR"] || undefined;
}

/** What building took, for the report (undefined when the images were already there). */
export interface ImageReport {
  seconds: number;
  sizes: Record<string, number>;
}

/**
 * A Docker engine with networking whose images outlive it for the rest of the test run, with
 * `debian:bookworm-slim` (from {@link debianRootfs}) and every Berth image in it.
 */
export async function composeEngine(log: (line: string) => void = () => undefined): Promise<{ dockerd: Dockerd; built: ImageReport | undefined }> {
  // Fail before minutes of image builds, not at the first `docker-compose up`.
  if ((await run("sh", ["-c", "command -v docker-compose"])).code !== 0) {
    throw new Error("docker-compose is not installed: BERTH_SETUP_TEST_TOOLS=1 bash scripts/setup.sh installs Debian's docker-compose 1.29");
  }
  const shared = runDir();
  const dockerd = new Dockerd({ networks: true, storageDriver: "auto", ...(shared && { dataRoot: join(shared, "docker-data") }) });
  try {
    await dockerd.start();
    if ((await dockerd.docker(["image", "inspect", BASE_IMAGE])).code !== 0) {
      const tarball = await debianRootfs();
      const imported = await dockerd.docker(["import", "--change", 'CMD ["bash"]', tarball, BASE_IMAGE], undefined, 600_000);
      if (imported.code !== 0) throw new Error(`docker import of ${tarball} failed:\n${imported.describe}`);
    }
    const version = defaultVersion(repoRoot);
    const missing: string[] = [];
    for (const image of IMAGES) {
      if ((await dockerd.docker(["image", "inspect", imageTag(image.name, version)])).code !== 0) missing.push(image.name);
    }
    let built: ImageReport | undefined;
    if (missing.length > 0) {
      const started = Date.now();
      const lines: string[] = [];
      const images = await buildImages({
        repoRoot,
        names: missing,
        env: dockerd.clientEnv,
        log: (line) => {
          lines.push(line);
          if (!line.startsWith("  ")) log(line);
        },
      }).catch((err: Error) => {
        throw new Error(`building the images failed: ${err.message}\n${lines.slice(-40).join("\n")}`, { cause: err });
      });
      built = { seconds: Math.round((Date.now() - started) / 1000), sizes: Object.fromEntries(images.map((i) => [i.name, i.sizeBytes])) };
    }
    return { dockerd, built };
  } catch (err) {
    await dockerd.stop();
    throw err;
  }
}

/**
 * `.env.example` with `settings` applied as an operator edits it: a variable's line gets the
 * value, a commented-out one (`#BERTH_X=`) is uncommented, anything else is added at the end.
 */
export function envFromExample(settings: Record<string, string>): string {
  const lines = readFileSync(join(repoRoot, ".env.example"), "utf8").split("\n");
  const left = new Map(Object.entries(settings));
  for (const pattern of [/^([A-Z][A-Z0-9_]*)=/, /^#([A-Z][A-Z0-9_]*)=/]) {
    for (const [i, line] of lines.entries()) {
      const key = pattern.exec(line)?.[1];
      if (key === undefined || !left.has(key)) continue;
      lines[i] = `${key}=${left.get(key)}`;
      left.delete(key);
    }
  }
  return [...lines, ...[...left].map(([k, v]) => `${k}=${v}`)].join("\n");
}

export const ADMIN_PASSWORD = "Compose-Admin-Passw0rd";

/** One compose project: `docker-compose -p <name> --project-directory <dir> -f docker-compose.yml`, .env in `dir`. */
export class ComposeProject {
  readonly dir = mkdtempSync(join(tmpdir(), "berth-e2e-compose-"));
  readonly name: string;
  httpPort = 0;
  httpsPort = 0;
  syslogPort = 0;
  private settings: Record<string, string> = {};

  private constructor(
    readonly dockerd: Dockerd,
    prefix: string,
  ) {
    this.name = `berth${prefix.replace(/[^a-z0-9]/g, "")}${process.pid}`;
  }

  /** A project with free ports and the required settings; `settings` adds to or replaces .env lines. */
  static async create(dockerd: Dockerd, prefix: string, settings: Record<string, string> = {}): Promise<ComposeProject> {
    const project = new ComposeProject(dockerd, prefix);
    project.httpPort = await pickFreeTcpPort();
    project.httpsPort = await pickFreeTcpPort();
    project.syslogPort = await pickFreeUdpPort();
    project.configure({
      BERTH_EXTERNAL_URL: `http://127.0.0.1:${project.httpPort}`,
      BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
      BERTH_POSTGRES_PASSWORD: "Compose0Postgres0Secret",
      BERTH_HTTP_PORT: String(project.httpPort),
      BERTH_HTTPS_PORT: String(project.httpsPort),
      BERTH_SYSLOG_HOST_PORT: String(project.syslogPort),
      ...settings,
    });
    return project;
  }

  /** Rewrites .env with `settings` merged into the current ones. */
  configure(settings: Record<string, string>): void {
    this.settings = { ...this.settings, ...settings };
    writeFileSync(join(this.dir, ".env"), envFromExample(this.settings));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get registry(): string {
    return `127.0.0.1:${this.httpPort}`;
  }

  /** Runs docker-compose for this project (never throws on a non-zero exit). */
  compose(args: string[], timeoutMs = 600_000, extraFiles: string[] = []): Promise<RunResult> {
    const files = [COMPOSE_FILE, ...extraFiles].flatMap((f) => ["-f", f]);
    return run("docker-compose", ["--project-directory", this.dir, ...files, "-p", this.name, "--ansi", "never", ...args], {
      env: { ...this.dockerd.clientEnv, COMPOSE_HTTP_TIMEOUT: "300" },
      timeoutMs,
    });
  }

  /** Like compose(), failing unless it exits 0. */
  async composeOk(args: string[], timeoutMs?: number, extraFiles?: string[]): Promise<RunResult> {
    const r = await this.compose(args, timeoutMs, extraFiles);
    if (r.code !== 0) throw new Error(`docker-compose failed:\n${r.describe}\n${await this.diagnostics()}`);
    return r;
  }

  /** IDs of the project's containers (of `service`, when given), running or not. */
  async containers(service?: string, all = true): Promise<string[]> {
    const filters = ["--filter", `label=com.docker.compose.project=${this.name}`, ...(service ? ["--filter", `label=com.docker.compose.service=${service}`] : [])];
    const r = await this.dockerd.docker(["ps", ...(all ? ["-a"] : []), "-q", "--no-trunc", ...filters]);
    return r.stdout.split("\n").filter(Boolean);
  }

  /** `docker inspect` of one container. */
  async inspect(id: string): Promise<{ Name: string; State: { Status: string; Health?: { Status: string } }; NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> } }> {
    const r = await this.dockerd.docker(["inspect", id]);
    return (JSON.parse(r.stdout) as never[])[0]!;
  }

  /** Waits until every running container of the project is healthy (or has no health check). */
  async waitHealthy(timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all((await this.containers(undefined, false)).map((id) => this.inspect(id)));
      const waiting = states.filter((s) => s.State.Health && s.State.Health.Status !== "healthy").map((s) => `${s.Name} ${s.State.Health!.Status}`);
      if (states.length > 0 && waiting.length === 0) return;
      if (Date.now() > deadline) throw new Error(`not healthy after ${timeoutMs / 1000} s: ${waiting.join(", ")}\n${await this.diagnostics()}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  /** The compose network's gateway: this machine's address on it (where a test's receivers listen). */
  async gateway(): Promise<string> {
    const r = await this.dockerd.docker(["network", "inspect", `${this.name}_default`, "--format", "{{(index .IPAM.Config 0).Gateway}}"]);
    const ip = r.stdout.trim();
    if (r.code !== 0 || !ip) throw new Error(`no gateway for ${this.name}_default:\n${r.describe}`);
    return ip;
  }

  /** The project's state and every container's last log lines, for failure messages. */
  async diagnostics(): Promise<string> {
    const ps = await this.compose(["ps", "-a"], 60_000);
    const logs = await this.compose(["logs", "--tail", "15"], 60_000);
    return `${ps.stdout}\n${logs.stdout.slice(-12_000)}`;
  }

  /** Everything the project made goes: containers, networks, volumes; then the project folder. */
  async destroy(): Promise<void> {
    if (existsSync(join(this.dir, ".env"))) await this.compose(["down", "-v", "--remove-orphans", "-t", "20"], 300_000);
    for (const id of await this.containers().catch(() => [])) await this.dockerd.docker(["rm", "-f", "-v", id]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
