import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { registerDaemon } from "./daemons.js";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

function launcherEnv(dataDir: string, httpPort: number, env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BERTH_")));
  return { ...clean, BERTH_DATA_DIR: dataDir, BERTH_HTTP_PORT: String(httpPort), ...env };
}

export interface RecordedChild {
  name: string;
  pid: number;
  startTime?: string;
}

/**
 * The launcher as people run it — `node deploy/local/dist/main.js`, or `npm start` itself in its
 * own process group (as a terminal's foreground job) — with its output kept.
 */
export class Launcher {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private constructor(
    readonly process: ChildProcess,
    readonly dataDir: string,
    readonly httpPort: number,
  ) {
    this.exited = new Promise((resolve) => process.once("exit", (code, signal) => resolve({ code, signal })));
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line) this.output.push(line);
      if (this.output.length > 2_000) this.output.splice(0, this.output.length - 2_000);
    };
    process.stdout?.on("data", keep);
    process.stderr?.on("data", keep);
  }

  static start(dataDir: string, httpPort: number, env: Record<string, string> = {}): Launcher {
    const child = spawn(process.execPath, [join(repoRoot, "deploy/local/dist/main.js")], {
      cwd: repoRoot,
      env: launcherEnv(dataDir, httpPort, env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new Launcher(child, dataDir, httpPort);
  }

  /**
   * `npm start` (set-up, build, then the launcher, which npm runs as its child) as the leader of
   * its own process group, like a shell's foreground job: `signalGroup` is what Ctrl-C does.
   */
  static startNpm(dataDir: string, httpPort: number, env: Record<string, string> = {}): Launcher {
    const child = spawn("npm", ["start"], {
      cwd: repoRoot,
      env: launcherEnv(dataDir, httpPort, env),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    registerDaemon(child.pid, "npm");
    return new Launcher(child, dataDir, httpPort);
  }

  /** Sends `signal` to the launcher's whole process group (`kill -SIG -- -<pgid>`). */
  signalGroup(signal: NodeJS.Signals): void {
    process.kill(-this.pid, signal);
  }

  get pid(): number {
    return this.process.pid!;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** The last lines printed, for assertion messages. */
  tail(lines = 40): string {
    return this.output.slice(-lines).join("\n");
  }

  /** Resolves with the printed admin password once the launcher says it is running. */
  async ready(timeoutMs = 180_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.output.findIndex((l) => l.startsWith("Berth is running at"));
      if (at >= 0) {
        const pwLine = this.output.slice(at).find((l) => l.includes("admin password:"));
        const password = pwLine?.match(/admin password:\s+(\S+)/)?.[1];
        if (password) return password;
      }
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        throw new Error(`launcher exited before it was ready:\n${this.tail()}`);
      }
      if (Date.now() > deadline) throw new Error(`launcher not ready after ${timeoutMs / 1000} s:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  ports(): Record<string, number> {
    return JSON.parse(readFileSync(join(this.dataDir, "run", "ports.json"), "utf8")) as Record<string, number>;
  }

  children(): RecordedChild[] {
    const pids = JSON.parse(readFileSync(join(this.dataDir, "run", "pids.json"), "utf8")) as { children: RecordedChild[] };
    return pids.children;
  }

  /** Sends `signal` and resolves with how long the launcher took to exit. */
  async terminate(signal: NodeJS.Signals = "SIGTERM"): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }> {
    const started = Date.now();
    this.process.kill(signal);
    const exit = await this.exited;
    return { ms: Date.now() - started, ...exit };
  }
}
