// What a graceful stop of the local stack leaves behind, checked from outside: PostgreSQL shut
// down cleanly, Redis saved, every process gone, every port free.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { postgresBinDir } from "@berth/local-stack";
import type { RecordedChild } from "./launcher.js";
import { isRunning, membersOfGroups, portIsFree } from "./processes.js";

/** What a running stack started (`run/pids.json`, `run/ports.json`), to check after it stopped. */
export interface StackSnapshot {
  children: RecordedChild[];
  ports: Record<string, number>;
}

export function snapshot(dataDir: string): StackSnapshot {
  const read = (name: string): unknown => JSON.parse(readFileSync(join(dataDir, "run", name), "utf8"));
  return { children: (read("pids.json") as { children: RecordedChild[] }).children, ports: read("ports.json") as Record<string, number> };
}

/** Every process the stack started is gone, with what it left in its process group, and every port is free. */
export async function assertNothingLeft(started: StackSnapshot, context: () => string): Promise<void> {
  assert.ok(started.children.length >= 8, `expected ≥ 8 recorded children, got ${JSON.stringify(started.children)}`);
  const alive = started.children.filter((c) => isRunning(c.pid));
  assert.deepEqual(alive, [], `still running after the launcher exited:\n${context()}`);
  // nginx workers live in their master's process group.
  assert.deepEqual(membersOfGroups(started.children.map((c) => c.pid)), [], "processes left in the children's process groups");
  for (const [name, port] of Object.entries(started.ports)) {
    assert.ok(await portIsFree(port, name === "syslog" ? "udp" : "tcp"), `${name} port ${port} is still bound`);
  }
}

/** PostgreSQL's control file says the cluster was shut down cleanly (a SIGKILL leaves `in production`). */
export function postgresClusterState(dataDir: string): string {
  const out = execFileSync(join(postgresBinDir(), "pg_controldata"), ["-D", join(dataDir, "postgres")], { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
  return /^Database cluster state:\s+(.+)$/m.exec(out)?.[1]?.trim() ?? `unknown:\n${out}`;
}

/** The lines the log-collector kept for `service` (`<data>/logs/<service>.log`). */
export function collectedLines(dataDir: string, service: string): string[] {
  const file = join(dataDir, "logs", `${service}.log`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { message: string }).message);
}

/**
 * The stop was graceful: PostgreSQL logged `database system is shut down` (in `output`, or the
 * log-collector's file when no output is given) and its cluster state says so; Redis wrote its
 * RDB snapshot at or after `since`.
 */
export function assertGracefulStop(dataDir: string, since: number, output?: string[]): void {
  const postgresLines = output ?? collectedLines(dataDir, "postgres");
  assert.ok(
    postgresLines.some((l) => l.includes("database system is shut down")),
    `PostgreSQL did not log "database system is shut down":\n${postgresLines.slice(-15).join("\n")}`,
  );
  assert.equal(postgresClusterState(dataDir), "shut down");
  const rdb = join(dataDir, "redis", "dump.rdb");
  assert.ok(existsSync(rdb), `Redis wrote no RDB snapshot (${readdirSync(join(dataDir, "redis")).join(", ")})`);
  // mtime has a coarser clock than Date.now(): allow for it.
  assert.ok(statSync(rdb).mtimeMs >= since - 1_000, "Redis did not save its RDB snapshot while stopping");
}

/** The launcher's output says nothing failed while stopping: every process exited 0 when asked. */
export function assertStoppedCleanly(output: string[]): void {
  const problems = output.filter((l) => l.includes("did not stop cleanly") || l.includes("stopped unexpectedly") || l.includes("killing every process"));
  assert.deepEqual(problems, [], "the stop was not clean");
}

/** Every live descendant of `root` (by parent PID), `root` included: what a cgroup-wide kill reaches. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z") parents.set(Number(entry), Number(fields[1]));
    } catch {
      // exited while we looked
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree].filter((pid) => parents.has(pid));
}
