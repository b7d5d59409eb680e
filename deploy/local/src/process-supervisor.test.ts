import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, processGroupMembers, ProcessSupervisor, processStartTime } from "./process-supervisor.js";
import { pickPorts } from "./ports.js";
import { RunState } from "./run-state.js";

const node = process.execPath;
// Ignores SIGTERM, like a process stuck in shutdown.
const stubborn =
  "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('{\"service\":\"x\",\"level\":\"warn\",\"message\":\"careful\",\"module\":\"db\"}'); console.log('plain'); setInterval(() => {}, 1000);";

test("stop escalates to SIGKILL; output lines are read into readable ones", async () => {
  const lines: string[] = [];
  const supervisor = new ProcessSupervisor({ output: (l) => lines.push(l) });
  const child = await supervisor.spawn({
    name: "stub",
    command: node,
    args: ["-e", stubborn],
    tier: 0,
    stopSteps: [{ signal: "SIGTERM", waitMs: 300 }],
    deathSignal: "SIGTERM",
    format: "berth-json",
  });
  await new Promise((r) => setTimeout(r, 500));
  const started = Date.now();
  await supervisor.stopAll();
  assert.equal(child.running, false);
  assert.ok(Date.now() - started < 5_000);
  assert.deepEqual((await child.exited).signal, "SIGKILL");
  assert.ok(lines.includes("[x] warn: careful (module: db)"), lines.join("\n"));
  // A service writes only JSON; anything else is Node reporting trouble.
  assert.ok(lines.includes("[stub] plain"), lines.join("\n"));
});

test("an unexpected exit is reported; a requested stop is not", async () => {
  const unexpected: string[] = [];
  const supervisor = new ProcessSupervisor({ output: () => {}, onUnexpectedExit: (c) => unexpected.push(c.name) });
  const crash = await supervisor.spawn({ name: "crash", command: node, args: ["-e", "process.exit(3)"], tier: 0, stopSteps: [] });
  const steady = await supervisor.spawn({ name: "steady", command: node, args: ["-e", "setInterval(() => {}, 1000)"], tier: 1, stopSteps: [{ signal: "SIGTERM", waitMs: 2_000 }] });
  assert.equal((await crash.exited).code, 3);
  await supervisor.stopAll();
  assert.equal(steady.running, false);
  assert.deepEqual(unexpected, ["crash"]);
});

test("leftovers of a killed launcher are stopped, matched by PID and start time", async () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-run-test-"));
  const supervisor = new ProcessSupervisor({ output: () => {} });
  try {
    const orphan = await supervisor.spawn({ name: "orphan", command: node, args: ["-e", "setInterval(() => {}, 1000)"], tier: 0, stopSteps: [] });
    const state = new RunState(dir);
    state.acquire();
    state.recordChildren([
      { name: "orphan", pid: orphan.pid, startTime: processStartTime(orphan.pid), stopSignal: "SIGTERM" },
      // a reused PID (our own, with another start time) must be left alone
      { name: "reused", pid: process.pid, startTime: "0", stopSignal: "SIGKILL" },
    ]);
    assert.deepEqual(await state.reapLeftovers(), [`orphan (PID ${orphan.pid})`]);
    await orphan.exited;
    assert.equal(isAlive(orphan.pid), false);
  } finally {
    await supervisor.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("pickPorts hands out distinct ports", async () => {
  const ports = await pickPorts(["a", "b", "c"], ["u"]);
  assert.equal(new Set(Object.values(ports)).size, 4);
});

test("stop() returns after the child's last lines are read", async () => {
  const lines: string[] = [];
  const supervisor = new ProcessSupervisor({ output: (l) => lines.push(l) });
  const script = "process.on('SIGINT', () => { setTimeout(() => { console.log('database system is shut down'); process.exit(0); }, 300); }); setInterval(() => {}, 1000);";
  await supervisor.spawn({ name: "pg", command: node, args: ["-e", script], tier: 0, stopSteps: [{ signal: "SIGINT", waitMs: 5_000 }] });
  await new Promise((r) => setTimeout(r, 300));
  await supervisor.stopAll();
  assert.ok(lines.includes("[pg] database system is shut down"), lines.join("\n"));
});

test("reapGroup kills what a dead child left in its process group", async () => {
  const supervisor = new ProcessSupervisor({ output: () => {} });
  // A parent that starts a grandchild in its own group (as nginx's workers, PostgreSQL's backends), then dies.
  const script = "const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); c.unref(); setTimeout(() => process.exit(9), 300);";
  try {
    const parent = await supervisor.spawn({ name: "parent", command: node, args: ["-e", script], tier: 0, stopSteps: [] });
    assert.equal((await parent.exited).code, 9);
    assert.equal(processGroupMembers([parent.pid]).length, 1, "the grandchild is left behind");
    await supervisor.reapGroup(parent);
    assert.deepEqual(processGroupMembers([parent.pid]), []);
  } finally {
    await supervisor.stopAll();
  }
});

test("stopAll reports how each running child ended", async () => {
  const supervisor = new ProcessSupervisor({ output: () => {} });
  const clean = await supervisor.spawn({ name: "clean", command: node, args: ["-e", "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)"], tier: 0, stopSteps: [{ signal: "SIGTERM", waitMs: 5_000 }] });
  const sloppy = await supervisor.spawn({ name: "sloppy", command: node, args: ["-e", "process.on('SIGTERM', () => process.exit(1)); setInterval(() => {}, 1000)"], tier: 1, stopSteps: [{ signal: "SIGTERM", waitMs: 5_000 }] });
  await new Promise((r) => setTimeout(r, 300));
  const stopped = await supervisor.stopAll();
  assert.deepEqual(
    stopped.map((s) => [s.child, s.exit?.code]),
    [
      [clean, 0],
      [sloppy, 1],
    ],
  );
});
