import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive, processStartTime, type RecordedChild } from "./process-supervisor.js";

/**
 * `<data>/run/` holds what describes the running stack: `launcher.pid`, `ports.json`,
 * `pids.json` (every child the launcher started), `redis.pid` and PostgreSQL's socket dir.
 */
export class RunState {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "run");
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Writes `name` atomically (readers never see half a file). */
  writeJson(name: string, value: unknown): void {
    const file = this.path(name);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }

  readJson<T>(name: string): T | undefined {
    try {
      return JSON.parse(readFileSync(this.path(name), "utf8")) as T;
    } catch {
      return undefined;
    }
  }

  /**
   * Claims the data directory for this launcher. Fails when another live launcher holds it;
   * a claim left by a launcher that died is taken over.
   */
  acquire(): void {
    mkdirSync(this.dir, { recursive: true });
    const holder = this.readJson<{ pid: number; startTime?: string }>("launcher.pid");
    if (holder && holder.pid !== process.pid && isAlive(holder.pid, holder.startTime)) {
      throw new Error(
        `another Berth (launcher PID ${holder.pid}) is running on this data directory; stop it first, or use a different BERTH_DATA_DIR`,
      );
    }
    this.writeJson("launcher.pid", { pid: process.pid, startTime: processStartTime(process.pid) });
  }

  release(): void {
    const holder = this.readJson<{ pid: number }>("launcher.pid");
    if (holder?.pid === process.pid) rmSync(this.path("launcher.pid"), { force: true });
  }

  /**
   * Stops processes a previous launcher started and did not stop (it was killed with SIGKILL
   * and a child ignored or missed its parent-death signal). Only PIDs whose start time still
   * matches are touched, so a reused PID is left alone. Returns the names stopped.
   */
  async reapLeftovers(): Promise<string[]> {
    const recorded = this.readJson<{ children?: RecordedChild[] }>("pids.json")?.children ?? [];
    const alive = recorded.filter((c) => c.pid !== process.pid && isAlive(c.pid, c.startTime));
    for (const c of alive) {
      try {
        process.kill(c.pid, c.stopSignal);
      } catch {
        // gone meanwhile
      }
    }
    const deadline = Date.now() + 15_000;
    while (alive.some((c) => isAlive(c.pid, c.startTime)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const c of alive) {
      if (isAlive(c.pid, c.startTime)) {
        try {
          process.kill(-c.pid, "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
    }
    return alive.map((c) => `${c.name} (PID ${c.pid})`);
  }

  recordChildren(children: RecordedChild[]): void {
    try {
      this.writeJson("pids.json", { launcher: process.pid, children });
    } catch {
      // the data directory went away (tests clean up); nothing to record into
    }
  }
}
