// A private Docker engine (dockerd, vfs) for one test file, and the docker CLI against it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, type RunResult } from "./exec.js";

export class Dockerd {
  readonly dir = mkdtempSync(join(tmpdir(), "berth-e2e-dockerd-"));
  readonly socket = join(this.dir, "docker.sock");
  private proc: ChildProcess | undefined;
  private readonly configDir = join(this.dir, "config");
  private readonly env: NodeJS.ProcessEnv;

  constructor() {
    mkdirSync(this.configDir);
    this.env = { ...process.env, DOCKER_HOST: `unix://${this.socket}`, DOCKER_CONFIG: this.configDir };
  }

  /** Starts dockerd and waits until `docker version` answers. */
  async start(timeoutMs = 60_000): Promise<void> {
    const log = openSync(join(this.dir, "dockerd.log"), "a");
    this.proc = spawn(
      "dockerd",
      [
        "--storage-driver=vfs",
        "--data-root", join(this.dir, "data"),
        "--exec-root", join(this.dir, "exec"),
        "-H", `unix://${this.socket}`,
        "--pidfile", join(this.dir, "docker.pid"),
        "--iptables=false",
        "--bridge=none",
        "--ip-masq=false",
      ],
      { stdio: ["ignore", log, log], detached: true },
    );
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

  docker(args: string[], input?: string): Promise<RunResult> {
    return run("docker", args, { env: this.env, ...(input !== undefined ? { input } : {}) });
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

  /** Stops dockerd (SIGTERM, then SIGKILL of its group) and removes its directory. */
  async stop(): Promise<void> {
    const proc = this.proc;
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
    await run("sh", ["-c", `grep -o " ${this.dir}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
