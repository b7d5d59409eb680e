// A private Docker engine (dockerd) for one test file, and the docker CLI against it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerDaemon, unregisterDaemon } from "./daemons.js";
import { run, type RunResult } from "./exec.js";

export interface DockerdOptions {
  /**
   * Container networking, for compose: user-defined bridge networks in an address pool of this
   * engine's own (a free 10.x.0.0/16), still no default bridge and no iptables rules on the host.
   * Default: no networking (`--bridge=none`).
   */
  networks?: boolean;
  /** Where images live; give a folder to keep them across engines started one after another. Default: private. */
  dataRoot?: string;
  /** `auto`: overlay2 where the kernel allows it here, else vfs. Default: vfs. */
  storageDriver?: "vfs" | "overlay2" | "auto";
}

/** Whether an overlay filesystem can be mounted here (as root), so dockerd's overlay2 driver works. */
export function overlayWorks(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(join(tmpdir(), "berth-overlay-probe-"));
  try {
    for (const d of ["lower", "upper", "work", "merged"]) mkdirSync(join(dir, d));
    const o = `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`;
    if (spawnSync("mount", ["-t", "overlay", "overlay", "-o", o, join(dir, "merged")]).status !== 0) return false;
    spawnSync("umount", [join(dir, "merged")]);
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A /16 for this engine's networks that no route on this machine overlaps. */
function freeAddressPool(): string {
  const routes = spawnSync("ip", ["-4", "route", "show"], { encoding: "utf8" }).stdout ?? "";
  const taken = new Set([...routes.matchAll(/^10\.(\d+)\./gm)].map((m) => Number(m[1])));
  for (let tries = 0; tries < 200; tries++) {
    const second = 100 + Math.floor(Math.random() * 150);
    if (!taken.has(second)) return `base=10.${second}.0.0/16,size=24`;
  }
  throw new Error("no free 10.x.0.0/16 for the test engine's networks");
}

export class Dockerd {
  readonly dir = mkdtempSync(join(tmpdir(), "berth-e2e-dockerd-"));
  readonly socket = join(this.dir, "docker.sock");
  private proc: ChildProcess | undefined;
  private readonly configDir = join(this.dir, "config");
  private readonly env: NodeJS.ProcessEnv;
  readonly storageDriver: "vfs" | "overlay2";

  constructor(private readonly options: DockerdOptions = {}) {
    mkdirSync(this.configDir);
    this.env = { ...process.env, DOCKER_HOST: `unix://${this.socket}`, DOCKER_CONFIG: this.configDir };
    const wanted = options.storageDriver ?? "vfs";
    this.storageDriver = wanted === "auto" ? (overlayWorks() ? "overlay2" : "vfs") : wanted;
  }

  /** `DOCKER_HOST` and `DOCKER_CONFIG` for clients of this engine (docker, docker-compose). */
  get clientEnv(): NodeJS.ProcessEnv {
    return this.env;
  }

  /** Starts dockerd and waits until `docker version` answers. */
  async start(timeoutMs = 60_000): Promise<void> {
    const log = openSync(join(this.dir, "dockerd.log"), "a");
    this.proc = spawn(
      "dockerd",
      [
        `--storage-driver=${this.storageDriver}`,
        "--data-root", this.options.dataRoot ?? join(this.dir, "data"),
        "--exec-root", join(this.dir, "exec"),
        "-H", `unix://${this.socket}`,
        "--pidfile", join(this.dir, "docker.pid"),
        "--iptables=false",
        "--bridge=none",
        "--ip-masq=false",
        ...(this.options.networks ? ["--default-address-pool", freeAddressPool()] : []),
      ],
      { stdio: ["ignore", log, log], detached: true },
    );
    registerDaemon(this.proc.pid, "dockerd");
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`dockerd exited:\n${this.log()}`);
      const r = await run("docker", ["version", "--format", "{{.Server.Version}}"], { env: this.env, timeoutMs: 10_000 });
      if (r.code === 0) return;
      if (Date.now() > deadline) throw new Error(`dockerd not ready after ${timeoutMs / 1000} s:\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, "dockerd.log"), "utf8").split("\n").slice(-30).join("\n");
    } catch {
      return "";
    }
  }

  docker(args: string[], input?: string, timeoutMs?: number): Promise<RunResult> {
    return run("docker", args, { env: this.env, ...(input !== undefined ? { input } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  }

  login(registry: string, user: string, password: string): Promise<RunResult> {
    return this.docker(["login", "-u", user, "--password-stdin", registry], password);
  }

  logout(registry: string): Promise<RunResult> {
    return this.docker(["logout", registry]);
  }

  /** `docker import` of a root filesystem tarball as `name`. */
  import(tarball: string, name: string): Promise<RunResult> {
    return this.docker(["import", tarball, name]);
  }

  /**
   * Stops dockerd (SIGTERM, then SIGKILL of its group) and removes its directory. With a shared
   * data root, every container, network and volume goes first; only images stay.
   */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (this.options.dataRoot && proc && proc.exitCode === null) {
      await run("sh", ["-c", "ids=$(docker ps -aq); [ -z \"$ids\" ] || docker rm -f -v $ids; docker volume prune -f; docker network prune -f"], { env: this.env, timeoutMs: 120_000 }).catch(() => undefined);
    }
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      try {
        process.kill(-proc.pid!, "SIGKILL");
      } catch {
        // gone
      }
    }
    // vfs layers may be mounted nowhere, but exec-root can hold mounts (netns): unmount lazily.
    for (const dir of [this.dir, this.options.dataRoot].filter((d) => d !== undefined)) {
      await run("sh", ["-c", `grep -o " ${dir}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`]).catch(() => undefined);
    }
    unregisterDaemon(proc?.pid);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
