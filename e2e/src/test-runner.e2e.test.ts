// The test runner (scripts/test.mjs) cannot report green on nothing: it runs itself here on probe
// files — a misspelled tier, a filter that selects nothing, a compiled test whose source is gone,
// and a file with todo, skipped and hanging tests (the hang is cut by the per-test timeout and
// counted as a failure; the file its open handles keep alive is killed and named), and a file of
// many quick tests that must be reported whole.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./support/launcher.js";

function runner(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  // As from a terminal: none of our settings, and not inside this test's node:test context.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BERTH_") && k !== "NODE_TEST_CONTEXT"));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "scripts", "test.mjs")], { cwd: repoRoot, env: { ...clean, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, out }));
  });
}

const lastLine = (out: string) => out.trim().split("\n").filter((l) => /^\d+ passed, \d+ failed, \d+ skipped/.test(l)).at(-1);

describe("the test runner", { timeout: 300_000 }, () => {
  const probeSource = join(repoRoot, "e2e", "src", "zz-runner-probe.e2e.test.ts");
  const daemonPidFile = join(tmpdir(), `berth-runner-probe-daemon-${process.pid}`);
  const probeOutputs = ["js", "js.map", "d.ts", "d.ts.map"].map((ext) => join(repoRoot, "e2e", "dist", `zz-runner-probe.e2e.test.${ext}`));
  const stale = join(repoRoot, "e2e", "dist", "zz-stale-probe.e2e.test.js");
  after(() => {
    for (const f of [probeSource, ...probeOutputs, stale, daemonPidFile]) rmSync(f, { force: true });
  });

  it("an unknown tier name is an error, before anything runs", async () => {
    const r = await runner({ BERTH_TEST_TIERS: "unit,integraton" });
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /BERTH_TEST_TIERS: unknown tier "integraton"; the tiers are typecheck, unit, integration, e2e/);
    assert.doesNotMatch(r.out, /tsc -b/);
  });

  it("a filter that selects no test file fails", async () => {
    const r = await runner({ BERTH_TEST_TIERS: "unit,e2e", BERTH_TEST_FILTER: "no-such-test-anywhere" });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /== unit: no test files match BERTH_TEST_FILTER=no-such-test-anywhere/);
    assert.match(r.out, /failed: BERTH_TEST_FILTER=no-such-test-anywhere matches no test file in unit, e2e/);
    assert.equal(lastLine(r.out), "0 passed, 0 failed, 0 skipped");
  });

  it("a compiled test whose source is gone is removed, not run", async () => {
    writeFileSync(stale, 'import { test } from "node:test";\ntest("stale", () => { throw new Error("a stale test ran"); });\n');
    const r = await runner({ BERTH_TEST_TIERS: "e2e", BERTH_TEST_FILTER: "zz-stale-probe" });
    assert.match(r.out, /\(removing e2e\/dist\/zz-stale-probe\.e2e\.test\.js: compiled from e2e\/src\/zz-stale-probe\.e2e\.test\.ts, which no longer exists\)/);
    assert.ok(!existsSync(stale));
    assert.doesNotMatch(r.out, /a stale test ran/);
    assert.equal(r.code, 1, "and then nothing is left to run under the filter");
  });

  it("todo and cancelled are shown; a hang is cut by the per-test timeout, named, fails the run, and the daemon it started is stopped", async () => {
    writeFileSync(
      probeSource,
      [
        'import { spawn } from "node:child_process";',
        'import { writeFileSync } from "node:fs";',
        'import { test } from "node:test";',
        'import { registerDaemon } from "./support/daemons.js";',
        'test("probe passes", () => {});',
        'test("probe todo", { todo: true }, () => {});',
        'test("probe skipped", { skip: true }, () => {});',
        'test("probe hangs", async () => {',
        // A daemon in its own group (as dockerd is), which the killed file cannot stop.
        '  const daemon = spawn("sleep", ["600"], { detached: true, stdio: "ignore" });',
        '  registerDaemon(daemon.pid, "sleep");',
        `  writeFileSync(${JSON.stringify(daemonPidFile)}, String(daemon.pid));`,
        "  setInterval(() => {}, 1_000);",
        "  await new Promise(() => {});",
        "});",
        "",
      ].join("\n"),
    );
    const r = await runner({ BERTH_TEST_TIERS: "e2e", BERTH_TEST_FILTER: "zz-runner-probe", BERTH_TEST_TIMEOUT_SECONDS: "3" });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /== e2e: 1 files \(per-test timeout 3 s\)/);
    assert.match(r.out, /✖ probe hangs/);
    assert.match(r.out, /test timed out after 3000ms/);
    // The cancelled test's interval keeps its file alive: the runner kills it and names it.
    assert.match(r.out, /killed what was still running: e2e\/dist\/zz-runner-probe\.e2e\.test\.js/);
    assert.match(r.out, /^== e2e: 1 passed, 0 failed, 1 cancelled, 1 skipped, 1 todo$/m);
    // The daemon it started is stopped by the runner when the tier ends.
    const daemon = Number(readFileSync(daemonPidFile, "utf8"));
    assert.match(r.out, new RegExp(`stopping what test files left running: sleep \\(group ${daemon}\\)`));
    assert.equal(existsSync(`/proc/${daemon}`), false, `the probe's daemon ${daemon} is gone`);
    assert.equal(lastLine(r.out), "1 passed, 1 failed, 2 skipped (failed includes 1 cancelled; skipped includes 1 todo)");
  });

  it("every test of every file is reported (no file ends before its results are written)", async () => {
    // node's --test-force-exit ended files early now and then: a few hundred quick tests came out
    // as anything from 164 to 209. Three runs of 600 tests must each report all 600.
    const tests = Array.from({ length: 6 }, (_, d) => `describe("d${d}", () => { for (let i = 0; i < 100; i++) it("t" + i, () => {}); });`);
    writeFileSync(probeSource, ['import { describe, it } from "node:test";', ...tests, ""].join("\n"));
    for (let round = 0; round < 3; round++) {
      const r = await runner({ BERTH_TEST_TIERS: "e2e", BERTH_TEST_FILTER: "zz-runner-probe" });
      assert.equal(r.code, 0, r.out);
      assert.equal(lastLine(r.out), "600 passed, 0 failed, 0 skipped", `round ${round}`);
    }
  });

  it("a test file that reports no tests at all fails the tier", async () => {
    writeFileSync(probeSource, 'import { test } from "node:test";\nif (process.env["NEVER_SET"]) test("never registered", () => {});\n');
    const r = await runner({ BERTH_TEST_TIERS: "e2e", BERTH_TEST_FILTER: "zz-runner-probe" });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /failed: e2e: no tests in e2e\/dist\/zz-runner-probe\.e2e\.test\.js/);
  });
});
