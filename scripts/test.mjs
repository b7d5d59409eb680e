// `npm test`: every tier, in order, with counts. Runs on the pinned Node (node_modules/.bin/node).
//   typecheck    tsc -b — always run first, also when not selected (then reported as the build):
//                tests run from what the current sources compile to, and not at all when they do
//                not compile
//   unit         dist/**/*.test.js           (no servers)
//   integration  dist/**/*.int.test.js       (real PostgreSQL and Redis started here)
//   e2e          e2e/dist/**/*.e2e.test.js   (the whole stack through nginx, real clients)
// Select tiers with BERTH_TEST_TIERS=unit,integration (default: all; an unknown name is an error),
// and files within them with BERTH_TEST_FILTER=<substring of the compiled path>
// (e.g. BERTH_TEST_FILTER=services/core/). A selection that runs no test file is a failure: a tier
// without test files fails; under a filter, tiers it leaves empty are noted, and it fails when it
// leaves every selected tier empty.
// A compiled test whose source is gone (deleted or renamed) is removed from dist/, never run.
// Each test (and each describe block, as a whole) has a generous per-tier timeout, so a hang fails
// fast and names the test (BERTH_TEST_TIMEOUT_SECONDS overrides it); a timed-out or otherwise
// cancelled test is a failure.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, globSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
process.chdir(root);

const TIERS = ["typecheck", "unit", "integration", "e2e"];
/**
 * Per-test timeout of each tier (node --test-timeout; a describe block counts as one test, and a
 * test's own `timeout` option overrides it). BERTH_TEST_TIMEOUT_SECONDS sets one for every tier.
 */
const TIMEOUT_MS = { unit: 60_000, integration: 5 * 60_000, e2e: 15 * 60_000 };
const timeoutOverride = process.env.BERTH_TEST_TIMEOUT_SECONDS;
if (timeoutOverride !== undefined && timeoutOverride !== "") {
  if (!/^[1-9]\d{0,5}$/.test(timeoutOverride)) {
    console.error(`BERTH_TEST_TIMEOUT_SECONDS: expected a whole number of seconds, got ${JSON.stringify(timeoutOverride)}`);
    process.exit(2);
  }
  for (const tier of Object.keys(TIMEOUT_MS)) TIMEOUT_MS[tier] = Number(timeoutOverride) * 1000;
}

const requested = (process.env.BERTH_TEST_TIERS ?? TIERS.join(","))
  .split(",")
  .map((t) => t.trim())
  .filter((t) => t !== "");
const unknown = requested.filter((t) => !TIERS.includes(t));
if (unknown.length > 0 || requested.length === 0) {
  console.error(
    unknown.length > 0
      ? `BERTH_TEST_TIERS: unknown tier ${unknown.map((t) => JSON.stringify(t)).join(", ")}; the tiers are ${TIERS.join(", ")}`
      : `BERTH_TEST_TIERS is empty; the tiers are ${TIERS.join(", ")}`,
  );
  process.exit(2);
}
const tiers = new Set(requested);
const filter = process.env.BERTH_TEST_FILTER ?? "";

const totals = { passed: 0, failed: 0, cancelled: 0, skipped: 0, todo: 0 };
const failures = [];
/** Tiers left without files by the filter (only reported; see the header). */
const emptyUnderFilter = [];
let filesRun = 0;

/**
 * Runs a command, passing its output through. With `idleMs`, a run whose output stays silent that
 * long is a hang: the test files' processes still running are killed (node then reports those
 * files as failed and finishes its summary), and `hung` names them — a file whose tests finished
 * but whose open handles keep it alive, or a hook that never returns. Silent again after that, the
 * whole process group goes. (node's --test-force-exit would end such files too, but it also ends
 * files before their results are written, so whole tests went unreported: it is not used.)
 */
function run(cmd, args, env = {}, idleMs = 0) {
  // Started from within a test (NODE_TEST_CONTEXT set), `node --test` would skip every file.
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"], env: { ...inherited, ...env }, detached: idleMs > 0 });
    let out = "";
    const hung = [];
    let watchdog;
    const arm = () => {
      if (idleMs <= 0) return;
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        const group = processesInGroup(child.pid).filter((p) => p.pid !== child.pid);
        const files = group.filter((p) => p.testFile).map((p) => p.testFile);
        if (files.length === 0 || hung.length > 0) {
          hung.push("(the test runner itself)");
          signalGroup(child.pid, "SIGKILL");
          return;
        }
        hung.push(...files);
        for (const p of group) signal(p.pid, "SIGKILL");
        arm();
      }, idleMs);
    };
    arm();
    // In its own process group (so a hang can be killed whole), it no longer gets a terminal's
    // Ctrl-C: pass stop signals on.
    const forward = (sig) => signalGroup(child.pid, sig);
    if (idleMs > 0) for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, forward);
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      out += chunk;
      arm();
    });
    child.on("close", (code) => {
      clearTimeout(watchdog);
      for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.off(sig, forward);
      resolve({ code, out, hung });
    });
  });
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
const signalGroup = (pgid, sig) => signal(-pgid, sig);

/**
 * Stops the process groups test files recorded in `dir` (e2e/src/support/daemons.ts) and did not
 * stop themselves — because they were killed (a hang cut, Ctrl-C) before their `after` hooks:
 * SIGTERM, then SIGKILL after 20 s. A group is signalled only while it exists and its leader, if
 * still there, runs the recorded command.
 */
async function stopDaemons(dir) {
  let pids;
  try {
    pids = readdirSync(dir).filter((f) => /^\d+$/.test(f)).map(Number);
  } catch {
    return;
  }
  const ours = (pid) => {
    if (processesInGroup(pid).length === 0) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(readFileSync(path.join(dir, String(pid)), "utf8"));
    } catch {
      return true; // the leader is gone, its group is not
    }
  };
  const left = pids.filter(ours);
  if (left.length === 0) return;
  console.log(`stopping what test files left running: ${left.map((p) => `${readFileSync(path.join(dir, String(p)), "utf8")} (group ${p})`).join(", ")}`);
  for (const pid of left) signalGroup(pid, "SIGTERM");
  for (let waited = 0; waited < 20_000 && left.some((p) => processesInGroup(p).length > 0); waited += 250) await new Promise((r) => setTimeout(r, 250));
  for (const pid of left) signalGroup(pid, "SIGKILL");
}

/** The processes of group `pgid`, each with the one test file (`…/dist/…test.js`) it runs, if any. */
function processesInGroup(pgid) {
  const found = [];
  for (const entry of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) !== pgid) continue;
      const files = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter((a) => /\/dist\/.*\.test\.js$/.test(a));
      found.push({ pid: Number(entry), testFile: files.length === 1 ? path.relative(root, files[0]) : undefined });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** `pkg/dist/a/b.test.js` → `pkg/src/a/b.test.ts` (every project compiles src/ to dist/). */
function sourceOf(compiled) {
  const parts = compiled.split("/");
  const at = parts.lastIndexOf("dist");
  return [...parts.slice(0, at), "src", ...parts.slice(at + 1)].join("/").replace(/\.js$/, ".ts");
}

/** Compiled test files matching `pattern`; stale ones (no source any more) are deleted, not run. */
function find(dirs, pattern) {
  const found = dirs.flatMap((d) => globSync(`${d}/**/${pattern}`)).sort();
  const current = [];
  for (const file of found) {
    if (existsSync(sourceOf(file))) {
      current.push(file);
      continue;
    }
    console.log(`(removing ${file}: compiled from ${sourceOf(file)}, which no longer exists)`);
    for (const suffix of ["", ".map"]) rmSync(`${file}${suffix}`, { force: true });
    for (const suffix of [".d.ts", ".d.ts.map"]) rmSync(file.replace(/\.js$/, suffix), { force: true });
  }
  return current.filter((f) => f.includes(filter));
}

const dists = ["packages/*/dist", "services/*/dist", "deploy/*/dist"];

/** Counts from node's summary lines (`ℹ pass 3`); the last occurrence wins. */
function count(out, label) {
  const all = [...out.matchAll(new RegExp(`^ℹ ${label} (\\d+)$`, "gm"))];
  return Number(all.at(-1)?.[1] ?? 0);
}

/** Whether the tier has files to run; fails it (or notes it, under a filter) when not. */
function hasFiles(tier, files) {
  if (files.length > 0) return true;
  if (filter !== "") {
    console.log(`\n== ${tier}: no test files match BERTH_TEST_FILTER=${filter}`);
    emptyUnderFilter.push(tier);
  } else {
    console.log(`\n== ${tier}: no test files — failing: a tier that tests nothing must not pass`);
    failures.push(`${tier} (no test files)`);
  }
  return false;
}

async function nodeTests(tier, files, env = {}, extra = []) {
  console.log(`\n== ${tier}: ${files.length} files (per-test timeout ${TIMEOUT_MS[tier] / 1000} s)`);
  filesRun += files.length;
  // Silence this long means a hang the per-test timeout cannot cut (see run()).
  const idleMs = Math.round(TIMEOUT_MS[tier] * 1.1) + 20_000;
  const { code, out, hung } = await run(process.execPath, ["--test", "--test-reporter=spec", `--test-timeout=${TIMEOUT_MS[tier]}`, ...extra, ...files], env, idleMs);
  if (hung.length > 0) {
    console.log(`\n== ${tier}: no output for ${Math.round(idleMs / 1000)} s, so killed what was still running: ${hung.join(", ")}`);
    failures.push(`${tier} (hung: ${hung.join(", ")})`);
  }
  const c = { passed: count(out, "pass"), failed: count(out, "fail"), cancelled: count(out, "cancelled"), skipped: count(out, "skipped"), todo: count(out, "todo") };
  for (const k of Object.keys(totals)) totals[k] += c[k];
  const bad = c.failed + c.cancelled;
  const reported = c.passed + bad + c.skipped + c.todo;
  // node counts a file that registers no test as one passing test, reported under its own path.
  const empty = files.filter((f) => new RegExp(`^[✔✖] ${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(`, "m").test(out));
  if (code !== 0 || bad > 0) failures.push(`${tier} (exit ${code}, ${c.failed} failed, ${c.cancelled} cancelled)`);
  else if (reported === 0) failures.push(`${tier} (${files.length} files ran, but node reported no tests)`);
  if (empty.length > 0) failures.push(`${tier}: no tests in ${empty.join(", ")}`);
  console.log(`== ${tier}: ${c.passed} passed, ${c.failed} failed, ${c.cancelled} cancelled, ${c.skipped} skipped, ${c.todo} todo`);
}

console.log(tiers.has("typecheck") ? "== typecheck: tsc -b" : "== build: tsc -b (tests run from what the sources compile to)");
const build = await run(path.join(root, "node_modules/.bin/tsc"), ["-b"]);
if (build.code !== 0) {
  console.log(`\n${tiers.has("typecheck") ? "typecheck" : "build"} failed: no tests run (they would run stale output)`);
  process.exit(1);
}

if (tiers.has("unit")) {
  const unit = find(dists, "*.test.js").filter((f) => !f.endsWith(".int.test.js"));
  if (hasFiles("unit", unit)) await nodeTests("unit", unit);
}

if (tiers.has("integration")) {
  const files = find(dists, "*.int.test.js");
  if (hasFiles("integration", files)) {
    const { startPostgres, startRedis } = await import("../deploy/local/dist/index.js");
    const dir = mkdtempSync(path.join(tmpdir(), "berth-test-"));
    const pg = await startPostgres({ dir: path.join(dir, "postgres") });
    const redis = await startRedis({ dir: path.join(dir, "redis") });
    try {
      await nodeTests("integration", files, { BERTH_TEST_PG_URL: pg.adminUrl, BERTH_TEST_REDIS_URL: redis.url });
    } finally {
      await redis.stop();
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (tiers.has("e2e")) {
  const files = find(["e2e/dist"], "*.e2e.test.js");
  if (hasFiles("e2e", files)) {
    // The tier's shared state (the compose tests' Docker images, built once per run), removed
    // when the tier ends — with anything a crashed engine left mounted in it.
    const runDir = mkdtempSync(path.join(tmpdir(), "berth-e2e-run-"));
    try {
      await nodeTests("e2e", files, { BERTH_E2E_RUN_DIR: runDir }, ["--test-concurrency=1"]);
    } finally {
      await stopDaemons(path.join(runDir, "daemons"));
      spawnSync("sh", ["-c", `grep -o ' ${runDir}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l`]);
      rmSync(runDir, { recursive: true, force: true });
    }
  }
}

const testTiers = [...tiers].filter((t) => t !== "typecheck");
if (testTiers.length > 0 && filesRun === 0 && emptyUnderFilter.length > 0) {
  failures.push(`BERTH_TEST_FILTER=${filter} matches no test file in ${emptyUnderFilter.join(", ")}`);
}

const failed = totals.failed + totals.cancelled;
const skipped = totals.skipped + totals.todo;
const notes = [totals.cancelled > 0 && `failed includes ${totals.cancelled} cancelled`, totals.todo > 0 && `skipped includes ${totals.todo} todo`].filter(Boolean);
console.log(`\n${totals.passed} passed, ${failed} failed, ${skipped} skipped${notes.length ? ` (${notes.join("; ")})` : ""}`);
if (failures.length) {
  console.log(`failed: ${failures.join(", ")}`);
  process.exit(1);
}
