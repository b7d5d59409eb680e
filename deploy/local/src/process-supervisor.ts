import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { readdirSync, readFileSync } from "node:fs";
import { findExecutable } from "./binaries.js";
import { lineReader, type ChildLine, type LineFormat } from "./child-output.js";

export interface StopStep {
  signal: NodeJS.Signals;
  /** How long to wait for the process to exit after this signal before the next step. */
  waitMs: number;
}

export interface ChildSpec {
  /** Short name used as the log prefix and in pids.json (`postgres`, `core`, …). */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Processes stop tier by tier, highest first; within a tier, concurrently. */
  tier: number;
  /** Signals tried in order; the whole process group gets SIGKILL after the last wait. */
  stopSteps: StopStep[];
  /** Signal the child receives if the launcher dies without stopping it (Linux parent-death signal). */
  deathSignal?: NodeJS.Signals;
  /** Run as this user (only when the launcher is root; uses setpriv so the PID stays the child's). */
  runAs?: string;
  /** How the process writes its lines (default `plain`). */
  format?: LineFormat;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisedChild {
  readonly name: string;
  readonly pid: number;
  readonly spec: ChildSpec;
  readonly exited: Promise<ExitInfo>;
  readonly running: boolean;
  /** When it was spawned (ms since the epoch). */
  readonly startedAt: number;
  /** The last lines the child wrote, for error messages. */
  readonly recentOutput: string[];
}

/** How a child ended when the supervisor stopped it (`undefined`: it outlived even SIGKILL). */
export interface StoppedChild {
  child: SupervisedChild;
  exit: ExitInfo | undefined;
}

export interface RecordedChild {
  name: string;
  pid: number;
  /** /proc/<pid>/stat start time, to tell a PID reused by another process from ours. */
  startTime: string | undefined;
  stopSignal: NodeJS.Signals;
}

export interface SupervisorOptions {
  /** Receives every line the children print, as one readable line and read (see child-output.ts). */
  output?: (text: string, line: ChildLine) => void;
  /** Called when a child exits without being asked to. */
  onUnexpectedExit?: (child: SupervisedChild, info: ExitInfo) => void;
  /** Called whenever the set of running children changes (to keep `run/pids.json` current). */
  onChange?: (children: RecordedChild[]) => void;
}

class Child implements SupervisedChild {
  running = true;
  stopping = false;
  readonly recentOutput: string[] = [];
  readonly exited: Promise<ExitInfo>;
  readonly startTime: string | undefined;
  readonly startedAt = Date.now();
  /** Resolves once both output pipes are read to their end. */
  outputClosed: Promise<unknown> = Promise.resolve();

  constructor(
    readonly spec: ChildSpec,
    readonly process: ChildProcess,
    readonly pid: number,
  ) {
    this.exited = new Promise((resolve) => {
      process.once("exit", (code, signal) => {
        this.running = false;
        resolve({ code, signal });
      });
    });
    this.startTime = processStartTime(pid);
  }

  get name(): string {
    return this.spec.name;
  }
}

/** Reads field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined off Linux. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive (or a zombie) — and, given `startTime`, still the same process. */
export function isAlive(pid: number, startTime?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return startTime === undefined || processStartTime(pid) === startTime;
}

/** Live (not zombie) processes whose process group is one of `groups`: children of our children. */
export function processGroupMembers(groups: number[]): number[] {
  const wanted = new Set(groups);
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields[0] is the state, fields[2] the process group.
      if (fields[0] !== "Z" && wanted.has(Number(fields[2]))) found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Spawns the stack's processes as foreground children, passes their output through, and stops
 * them in reverse tier order with escalating signals. Every child gets its own process group
 * (so a terminal's Ctrl-C reaches only the launcher, which then stops things in order, and a
 * SIGKILL can take a child's own children with it) and, on Linux, a parent-death signal through
 * `setpriv --pdeathsig`, so nothing outlives a launcher that was killed with SIGKILL.
 */
export class ProcessSupervisor {
  private readonly children: Child[] = [];
  private readonly setpriv = findExecutable("setpriv");
  private stopping: Promise<StoppedChild[]> | undefined;

  constructor(private readonly options: SupervisorOptions = {}) {}

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  async spawn(spec: ChildSpec): Promise<SupervisedChild> {
    if (this.stopping) throw new Error(`not starting ${spec.name}: the stack is stopping`);
    let command = spec.command;
    let args = spec.args;
    const asOtherUser = spec.runAs !== undefined && process.getuid?.() === 0;
    if (asOtherUser && !this.setpriv) throw new Error(`setpriv (util-linux) is needed to run ${spec.name} as ${spec.runAs}`);
    if (this.setpriv && (asOtherUser || spec.deathSignal)) {
      const wrapper: string[] = [];
      if (asOtherUser) wrapper.push(`--reuid=${spec.runAs}`, `--regid=${spec.runAs}`, "--init-groups");
      if (spec.deathSignal) wrapper.push(`--pdeathsig=${spec.deathSignal}`);
      args = [...wrapper, "--", command, ...args];
      command = this.setpriv;
    }
    const proc = spawn(command, args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    await new Promise<void>((resolve, reject) => {
      proc.once("spawn", resolve);
      proc.once("error", reject);
    });
    const child = new Child(spec, proc, proc.pid!);
    this.children.push(child);
    const read = lineReader(spec.name, spec.format ?? "plain");
    child.outputClosed = Promise.all(
      [proc.stdout!, proc.stderr!].map((stream) => {
        const lines = createInterface({ input: stream, crlfDelay: Infinity });
        lines.on("line", (line) => this.pass(child, read(line)));
        return new Promise((resolve) => lines.once("close", resolve));
      }),
    );
    this.changed();
    void child.exited.then((info) => {
      this.changed();
      if (!child.stopping && !this.stopping) this.options.onUnexpectedExit?.(child, info);
    });
    return child;
  }

  private pass(child: Child, line: ChildLine): void {
    child.recentOutput.push(line.text);
    if (child.recentOutput.length > 20) child.recentOutput.shift();
    try {
      (this.options.output ?? ((text: string) => process.stdout.write(`${text}\n`)))(line.text, line);
    } catch {
      // the launcher's stdout is gone; keep the child running regardless
    }
  }

  private changed(): void {
    this.options.onChange?.(
      this.children
        .filter((c) => c.running)
        .map((c) => ({ name: c.name, pid: c.pid, startTime: c.startTime, stopSignal: c.spec.stopSteps[0]?.signal ?? "SIGTERM" })),
    );
  }

  /** Stops one child: its stop signals in order, then SIGKILL to its whole process group. */
  async stop(target: SupervisedChild): Promise<void> {
    const child = this.children.find((c) => c === target);
    if (!child) return;
    child.stopping = true;
    for (const step of child.spec.stopSteps) {
      if (!child.running) break;
      try {
        process.kill(child.pid, step.signal);
      } catch {
        break;
      }
      await Promise.race([child.exited, delay(step.waitMs)]);
    }
    if (child.running) {
      signalGroup(child.pid, "SIGKILL");
      await Promise.race([child.exited, delay(2_000)]);
    }
    // Whatever the child left in its group (workers, backends) goes with it.
    signalGroup(child.pid, "SIGKILL");
    // Its last lines (PostgreSQL's "database system is shut down") are read before we go on.
    await Promise.race([child.outputClosed, delay(1_000)]);
  }

  /**
   * After `target` died on its own: SIGKILL what it left in its process group (nginx's workers
   * still holding the port, PostgreSQL's backends holding shared memory) and wait until they are
   * gone, so it can be started again.
   */
  async reapGroup(target: SupervisedChild, timeoutMs = 5_000): Promise<void> {
    signalGroup(target.pid, "SIGKILL");
    const deadline = Date.now() + timeoutMs;
    while (processGroupMembers([target.pid]).length > 0 && Date.now() < deadline) await delay(50);
  }

  /**
   * Stops every child, highest tier first; idempotent. `beforeTier` runs before each tier stops
   * (the stack flushes its log lines before the log-collector goes). The stack's stop steps are
   * sized so the worst case (every process ignoring its polite signal) still ends within 40 s:
   * nginx 5 s, services 16 s, PostgreSQL/Redis 10 s, log-collector 4 s, plus SIGKILL.
   */
  stopAll(beforeTier?: (tier: number) => Promise<void>): Promise<StoppedChild[]> {
    this.stopping ??= (async () => {
      // The children running now; those that died earlier (and were restarted) are long gone.
      const targets = this.children.filter((c) => c.running);
      const tiers = [...new Set(targets.map((c) => c.spec.tier))].sort((a, b) => b - a);
      for (const tier of tiers) {
        await beforeTier?.(tier);
        await Promise.all(targets.filter((c) => c.spec.tier === tier).map((c) => this.stop(c)));
      }
      return Promise.all(targets.map(async (child) => ({ child, exit: child.running ? undefined : await child.exited })));
    })();
    return this.stopping;
  }

  /** Last resort (second Ctrl-C, process exit): SIGKILL every child's group now, synchronously. */
  killAllNow(): void {
    for (const child of this.children) {
      if (child.running) signalGroup(child.pid, "SIGKILL");
    }
  }

  list(): SupervisedChild[] {
    return [...this.children];
  }

  /** The most recently started child called `name`. */
  latest(name: string): SupervisedChild | undefined {
    return this.children.findLast((c) => c.name === name);
  }
}
