// `node e2e/dist/bench/profile.js`: where the time goes in the push-side workloads of `npm run
// bench` (docs/performance.md, "The ceiling"). Starts Berth (LocalStack) and the sink, each behind
// its nginx, with a preload that lets V8's sampling profiler (250 µs) run in Berth's registry,
// core and jobservice, or in the sink, while the workload runs on that target (BERTH_PROFILE_REPEAT times, default 3).
// Per workload and target it writes one `.cpuprofile` per profiled process and prints:
//   - the CPU seconds every process on the machine spent meanwhile (from /proc), grouped: the
//     stack's services, PostgreSQL, Redis, nginx (each with its children), this client, the rest
//     of the machine; and how many of the cores that is;
//   - per profile: idle share of the main thread, top self time by function and by package.
// Settings: BERTH_PROFILE_REPEAT, BERTH_PROFILE_DIR (default e2e/bench-results/profiles; the
// profiles and summary.json), BERTH_BENCH_WORKLOADS (as in `npm run bench`).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../support/launcher.js";
import { readProfile, summarizeProfile, type ProfileSummary } from "./cpu-profile.js";
import { SinkTarget } from "./sink-target.js";
import { BerthTarget, type Target } from "./targets.js";
import type { Context, Workload } from "./workloads/common.js";
import { pushStorm, pushStormOneRepository } from "./workloads/storm.js";
import { chunkedUpload, monolithicUpload } from "./workloads/uploads.js";

const REPEAT = Math.max(1, Number(process.env["BERTH_PROFILE_REPEAT"] ?? 3) || 3);
const OUT_DIR = process.env["BERTH_PROFILE_DIR"] ?? join(repoRoot, "e2e", "bench-results", "profiles");
const SELECTED = (process.env["BERTH_BENCH_WORKLOADS"] ?? "").split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "");
const ALL: Workload[] = [monolithicUpload, chunkedUpload, pushStorm, pushStormOneRepository];
const WORKLOADS = SELECTED.length === 0 ? ALL : ALL.filter((w) => SELECTED.some((s) => w.name.toLowerCase().includes(s)));
const WATCHDOG_MS = 15 * 60_000;

// The preload, acting only in the processes named here. On SIGUSR2 it reads `<dir>/label`:
// `start` starts the profiler (and writes `<dir>/started-<name>`); any other label stops it and
// writes `<dir>/<label>-<name>.cpuprofile`. So only the target being measured pays for sampling.
const HOOK = `
const which = [["services/registry/dist/main.js", "registry"], ["services/core/dist/main.js", "core"], ["services/jobservice/dist/main.js", "jobservice"], ["e2e/dist/bench/sink-main.js", "sink"]]
  .find(([path]) => (process.argv[1] || "").includes(path));
if (which && process.env.BERTH_PROFILE_HOOK_DIR) {
  const fs = require("node:fs"), inspector = require("node:inspector");
  const dir = process.env.BERTH_PROFILE_HOOK_DIR, name = which[1];
  const s = new inspector.Session(); s.connect();
  let running = false;
  process.on("SIGUSR2", () => {
    const label = fs.readFileSync(dir + "/label", "utf8").trim();
    if (label === "start") {
      if (running) return;
      running = true;
      s.post("Profiler.enable", () => s.post("Profiler.setSamplingInterval", { interval: 250 }, () =>
        s.post("Profiler.start", () => fs.writeFileSync(dir + "/started-" + name, ""))));
      return;
    }
    if (!running) return;
    running = false;
    s.post("Profiler.stop", (err, res) => {
      const file = dir + "/" + label + "-" + name + ".cpuprofile";
      fs.writeFileSync(file + ".tmp", err ? "{}" : JSON.stringify(res.profile));
      fs.renameSync(file + ".tmp", file);
    });
  });
}
`;

const startedAt = Date.now();
const log = (line: string) => process.stderr.write(`[profile ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(3)}s] ${line}\n`);
const abort = new AbortController();
const targets: Target[] = [];
let scratch: string | undefined;

async function cleanup(): Promise<void> {
  await Promise.all(targets.map((t) => t.stop().catch((err: unknown) => log(`stopping ${t.label}: ${String(err)}`))));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    abort.abort();
    void cleanup().finally(() => process.exit(130));
  });
}
process.on("exit", () => {
  for (const t of targets) t.killNow();
});
setTimeout(() => {
  log(`still running after ${WATCHDOG_MS / 60_000} min: giving up`);
  abort.abort();
  void cleanup().finally(() => process.exit(1));
}, WATCHDOG_MS).unref();

/** CPU seconds (user + system) of every process now, with its parent: from /proc/<pid>/stat. */
function cpuSnapshot(): Map<number, { ppid: number; seconds: number }> {
  const out = new Map<number, { ppid: number; seconds: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // After the command: state ppid … utime (index 11) stime (12), in clock ticks (100 a second).
      out.set(Number(entry), { ppid: Number(f[1]), seconds: (Number(f[11]) + Number(f[12])) / 100 });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU seconds spent between two snapshots, by group: a process counts for the nearest ancestor (or itself) that `named` names. */
function cpuByGroup(before: Map<number, { ppid: number; seconds: number }>, after: Map<number, { ppid: number; seconds: number }>, named: Map<number, string>): Record<string, number> {
  const groups: Record<string, number> = {};
  for (const [pid, now] of after) {
    const spent = now.seconds - (before.get(pid)?.seconds ?? 0);
    if (spent <= 0) continue;
    let group = "rest of the machine (other engineers' work)";
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 20; p = after.get(p)?.ppid, hops++) {
      const name = named.get(p);
      if (name) {
        group = name;
        break;
      }
    }
    groups[group] = Math.round(((groups[group] ?? 0) + spent) * 100) / 100;
  }
  return groups;
}

async function waitForFiles(files: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (files.every((f) => readdirSync(join(f, "..")).includes(f.slice(f.lastIndexOf("/") + 1)))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`profiles not written within ${timeoutMs / 1000} s: ${files.join(", ")}`);
}

interface Measurement {
  workload: string;
  target: string;
  values: Record<string, number>[];
  wallSeconds: number;
  load: number[];
  cpuSeconds: Record<string, number>;
  coresBusy: number;
  profiles: Record<string, ProfileSummary>;
}

async function main(): Promise<number> {
  scratch = mkdtempSync(join(tmpdir(), "berth-profile-"));
  const hookDir = join(scratch, "profiles");
  mkdirSync(hookDir, { recursive: true });
  mkdirSync(OUT_DIR, { recursive: true });
  const hook = join(scratch, "prof-hook.cjs");
  writeFileSync(hook, HOOK);
  // Every Node child inherits these (the stack passes its environment on); the hook acts only in the three named above.
  process.env["NODE_OPTIONS"] = `${process.env["NODE_OPTIONS"] ?? ""} --require ${hook}`.trim();
  process.env["BERTH_PROFILE_HOOK_DIR"] = hookDir;
  log(`scratch ${scratch}; starting Berth and the sink`);
  const [berth, sink] = await Promise.all([BerthTarget.start(scratch, log), SinkTarget.start(scratch, log)]);
  targets.push(berth, sink);
  delete process.env["NODE_OPTIONS"];
  for (const t of targets) if (t.unavailable) throw new Error(`${t.label} is unavailable: ${t.unavailable}`);

  const named = new Map<number, string>([[process.pid, "benchmark client (this process)"]]);
  for (const s of berth.services()) named.set(s.pid, s.name === "proxy" ? "nginx (Berth)" : s.name);
  for (const p of sink.processes()) named.set(p.pid, p.name === "sink-proxy" ? "nginx (sink)" : p.name);
  const profiled: Record<string, Record<string, number | undefined>> = {
    berth: { registry: berth.servicePid("registry"), core: berth.servicePid("core"), jobservice: berth.servicePid("jobservice") },
    sink: { sink: sink.registryPid() },
  };
  /** `start`, or a label to stop and write under; resolves once every profiled process of `target` did it. */
  const signal = async (target: string, label: string): Promise<string[]> => {
    writeFileSync(join(hookDir, "label"), label);
    const files: string[] = [];
    for (const [name, pid] of Object.entries(profiled[target]!)) {
      if (pid === undefined) continue;
      const file = join(hookDir, label === "start" ? `started-${name}` : `${label}-${name}.cpuprofile`);
      rmSync(file, { force: true });
      process.kill(pid, "SIGUSR2");
      files.push(file);
    }
    await waitForFiles(files);
    return label === "start" ? [] : files;
  };

  const ctx: Context = { tmpDir: scratch, log, signal: abort.signal };
  const measurements: Measurement[] = [];
  for (const w of WORKLOADS) {
    for (const t of [berth, sink] as Target[]) {
      if (abort.signal.aborted) return 130;
      const slug = `${w.name.replace(/\s+/g, "-")}-${t.name}`;
      await signal(t.name, "start");
      const before = cpuSnapshot();
      const started = Date.now();
      const values: Record<string, number>[] = [];
      for (let round = 1; round <= REPEAT; round++) values.push(await w.run(t, 100 + round, ctx));
      const wallSeconds = (Date.now() - started) / 1000;
      const after = cpuSnapshot();
      const files = await signal(t.name, slug);
      const profiles: Record<string, ProfileSummary> = {};
      for (const file of files) {
        const name = file.slice(file.lastIndexOf("-") + 1).replace(".cpuprofile", "");
        profiles[name] = summarizeProfile(readProfile(file));
        writeFileSync(join(OUT_DIR, file.slice(file.lastIndexOf("/") + 1)), readFileSync(file));
      }
      const cpuSeconds = cpuByGroup(before, after, named);
      const total = Object.values(cpuSeconds).reduce((a, b) => a + b, 0);
      measurements.push({ workload: w.name, target: t.label, values, wallSeconds, load: loadavg().map((l) => Math.round(l * 100) / 100), cpuSeconds, coresBusy: Math.round((total / wallSeconds) * 100) / 100, profiles });
      log(`${w.name} on ${t.label}: ${values.map((v) => Object.values(v).map((x) => x.toFixed(1)).join("/")).join(", ")} in ${wallSeconds.toFixed(1)} s; ${Math.round((total / wallSeconds) * 100) / 100} cores busy`);
    }
  }

  const out: string[] = [];
  for (const m of measurements) {
    out.push(`\n## ${m.workload} — ${m.target} (${REPEAT}×: ${m.values.map((v) => Object.values(v).map((x) => x.toFixed(1)).join("/")).join(", ")}; ${m.wallSeconds.toFixed(1)} s wall, load ${m.load.join("/")})`);
    out.push(`CPU seconds meanwhile (${m.coresBusy} of the machine's cores busy): ${Object.entries(m.cpuSeconds).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    for (const [name, p] of Object.entries(m.profiles)) {
      out.push(`${name}: main thread busy ${(p.busyMs / 1000).toFixed(2)} s, idle ${p.idlePercent} % of ${(p.wallMs / 1000).toFixed(1)} s`);
      out.push(`  packages: ${p.packages.map((s) => `${s.name} ${s.percent} %`).join(", ")}`);
      out.push(`  functions: ${p.functions.map((s) => `${s.name} ${s.percent} %`).join(", ")}`);
    }
  }
  process.stdout.write(`${out.join("\n")}\n`);
  writeFileSync(join(OUT_DIR, "summary.json"), `${JSON.stringify({ date: new Date().toISOString(), repeat: REPEAT, measurements }, null, 2)}\n`);
  process.stdout.write(`\nprofiles and summary.json: ${OUT_DIR}\n`);
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await cleanup();
}
process.exit(code);
