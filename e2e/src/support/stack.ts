// One in-process Berth stack per e2e file: `startStack` on a temp data directory and a free port.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStack, pickFreeTcpPort, postgresBinDir, type RunningStack } from "@berth/local-stack";
import { repoRoot } from "./launcher.js";

export const ADMIN_PASSWORD = "E2e-Admin-Passw0rd";

export interface TestStack {
  running: RunningStack;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** `127.0.0.1:<port>`, the registry host clients use. */
  registry: string;
  dataDir: string;
  adminPassword: string;
  /** The last lines the stack printed, for assertion messages. */
  tail(lines?: number): string;
  /** Runs SQL against the stack's database; returns psql's unaligned, tuples-only output. */
  psql(sql: string): string;
  /** The PID `run/pids.json` records for `name` (undefined while it is not running). */
  pidOf(name: string): number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts two stacks side by side (their ports are distinct: `pickPorts` of @berth/local-stack
 * never hands a port out twice in one process). When one fails to start, the other is stopped
 * before the error is thrown — a suite's `after` never saw it, and its processes would keep the
 * test file alive until the runner's idle watchdog (seen: a port collision, now fixed, cost a
 * CI run 17 minutes that way).
 */
export async function startTestStacks(first: Parameters<typeof startTestStack>, second: Parameters<typeof startTestStack>): Promise<[TestStack, TestStack]> {
  const [a, b] = await Promise.allSettled([startTestStack(...first), startTestStack(...second)]);
  if (a.status === "fulfilled" && b.status === "fulfilled") return [a.value, b.value];
  await Promise.all([a, b].map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
  throw a.status === "rejected" ? a.reason : (b as PromiseRejectedResult).reason;
}

export async function startTestStack(prefix: string, options: { restartChildren?: boolean; env?: Record<string, string> } = {}): Promise<TestStack> {
  const root = mkdtempSync(join(tmpdir(), `berth-e2e-${prefix}-`));
  const dataDir = join(root, "data");
  const port = await pickFreeTcpPort();
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > 3_000) lines.splice(0, lines.length - 3_000);
  };
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BERTH_")));
  const stack = new LocalStack({
    dataDir,
    httpHost: "127.0.0.1",
    httpPort: port,
    adminPassword: ADMIN_PASSWORD,
    logLevel: "warn",
    repoRoot,
    env: { ...clean, ...options.env },
    log: (l) => keep(`[berth] ${l}`),
    output: keep,
    restartChildren: options.restartChildren ?? false,
  });
  let running: RunningStack;
  try {
    running = await stack.start();
  } catch (err) {
    await stack.stop();
    rmSync(root, { recursive: true, force: true });
    throw new Error(`stack did not start: ${(err as Error).message}\n${lines.slice(-40).join("\n")}`, { cause: err });
  }
  let stopped = false;
  return {
    running,
    baseUrl: `http://127.0.0.1:${port}`,
    registry: `127.0.0.1:${port}`,
    dataDir,
    adminPassword: ADMIN_PASSWORD,
    tail: (n = 40) => lines.slice(-n).join("\n"),
    psql(sql) {
      return execFileSync(
        join(postgresBinDir(), "psql"),
        ["-h", "127.0.0.1", "-p", String(running.ports.postgres), "-U", "berth", "-d", "berth", "-tAq", "-v", "ON_ERROR_STOP=1", "-c", sql],
        { encoding: "utf8" },
      ).trim();
    },
    pidOf(name) {
      const pids = JSON.parse(readFileSync(join(dataDir, "run", "pids.json"), "utf8")) as { children: { name: string; pid: number }[] };
      return pids.children.find((c) => c.name === name)?.pid;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await stack.stop();
      } finally {
        stack.killNow();
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
