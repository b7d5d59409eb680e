// `npm run bench`: Berth and CNCF Distribution side by side in one run, each behind an nginx from
// the same template, with a third target for the push-side workloads: the sink (a Node server
// behind the same nginx that only hashes and discards), the ceiling. The same workloads rotate
// between the targets round by round. See docs/performance.md for what is measured and how to read
// the results.
//
// Settings (environment): BERTH_BENCH_ROUNDS (default 3, at least 3), BERTH_BENCH_WRK_SECONDS
// (default 8), BERTH_BENCH_BIG=0 to skip the 2 GiB blob, BERTH_BENCH_SCAN=0 to skip scanning (the
// Debian image and a 1 GiB image through the scanner adapter), BERTH_BENCH_KEEP=1 to keep the scratch
// directory, BERTH_BENCH_OUT (default e2e/bench-results/latest.json), BERTH_BENCH_WORKLOADS to
// run only some workloads (names containing any of its comma-separated words), BERTH_BENCH_SINK=0 to
// leave the sink out, BERTH_BENCH_BERTH_ROOT to measure the stack of another built checkout
// (before/after a change).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { repoRoot } from "../support/launcher.js";
import { machineNote, makeRow, renderFailures, renderRounds, renderTable, series, type Report, type RoundValue, type Row } from "./report.js";
import { highWaterMark, RssSampler } from "./rss.js";
import { SinkTarget } from "./sink-target.js";
import { berthRoot, BerthTarget, DistributionTarget, type Target, type TargetName } from "./targets.js";
import { bigBlob, BIG_SIZE, type BigBlobResult } from "./workloads/big-blob.js";
import { MiB, type Context, type Workload } from "./workloads/common.js";
import { download } from "./workloads/download.js";
import { manifestGet, manifestPut, runningWrk } from "./workloads/manifests.js";
import { scanBench, type ScanResult } from "./workloads/scan.js";
import { pushStorm, pushStormOneRepository } from "./workloads/storm.js";
import { chunkedUpload, monolithicUpload } from "./workloads/uploads.js";

const ROUNDS = Math.max(3, Number(process.env["BERTH_BENCH_ROUNDS"] ?? 3) || 3);
const RUN_BIG = process.env["BERTH_BENCH_BIG"] !== "0";
const RUN_SCAN = process.env["BERTH_BENCH_SCAN"] !== "0";
const RUN_SINK = process.env["BERTH_BENCH_SINK"] !== "0";
const KEEP = process.env["BERTH_BENCH_KEEP"] === "1";
const OUT = process.env["BERTH_BENCH_OUT"] ?? join(repoRoot, "e2e", "bench-results", "latest.json");
/** Everything is bounded on its own; this is the last word (the brief: about 10 minutes). */
const WATCHDOG_MS = 20 * 60_000;
const BIG_GROWTH_LIMIT_MIB = 256;

const ALL_WORKLOADS: Workload[] = [monolithicUpload, chunkedUpload, download, manifestGet, manifestPut, pushStorm, pushStormOneRepository];
/** `BERTH_BENCH_WORKLOADS=storm,upload`: only the workloads whose name contains one of these (default: all). */
const SELECTED = (process.env["BERTH_BENCH_WORKLOADS"] ?? "").split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "");
const WORKLOADS = SELECTED.length === 0 ? ALL_WORKLOADS : ALL_WORKLOADS.filter((w) => SELECTED.some((s) => w.name.toLowerCase().includes(s)));
if (WORKLOADS.length === 0) {
  process.stderr.write(`BERTH_BENCH_WORKLOADS=${process.env["BERTH_BENCH_WORKLOADS"]} selects none of: ${ALL_WORKLOADS.map((w) => w.name).join(", ")}\n`);
  process.exit(2);
}

const startedAt = Date.now();
const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(3)}s] ${line}\n`);
const abort = new AbortController();
const targets: Target[] = [];
let scratch: string | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const child of runningWrk) child.kill("SIGKILL");
    await Promise.all(targets.map((t) => t.stop().catch((err: unknown) => log(`stopping ${t.label}: ${String(err)}`))));
    if (scratch && !KEEP) rmSync(scratch, { recursive: true, force: true });
    else if (scratch) log(`kept ${scratch}`);
  })();
  return cleaning;
}

let signalled = 0;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    signalled++;
    if (signalled > 1) {
      for (const t of targets) t.killNow();
      process.exit(130);
    }
    log(`${sig}: stopping everything (again to kill at once)`);
    abort.abort();
    void cleanup().finally(() => process.exit(130));
  });
}
process.on("exit", () => {
  for (const child of runningWrk) child.kill("SIGKILL");
  for (const t of targets) t.killNow();
});
const watchdog = setTimeout(() => {
  log(`still running after ${WATCHDOG_MS / 60_000} min: giving up`);
  abort.abort();
  void cleanup().finally(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function main(): Promise<number> {
  scratch = mkdtempSync(join(tmpdir(), "berth-bench-"));
  const ctx: Context = { tmpDir: scratch, log, signal: abort.signal };
  log(`scratch directory ${scratch}; starting Berth (LocalStack) and CNCF Distribution + nginx${RUN_SINK ? ", and the sink + nginx" : ""}`);

  const [berth, distribution, sink] = await Promise.all([
    BerthTarget.start(scratch, log),
    DistributionTarget.start(scratch, log),
    RUN_SINK ? SinkTarget.start(scratch, log) : undefined,
  ]);
  targets.push(berth, distribution, ...(sink ? [sink] : []));
  for (const t of targets) {
    if (t.unavailable) log(`${t.label} cannot be measured: ${t.unavailable}`);
    else log(`${t.label} is up at ${t.baseUrl}`);
  }
  if (abort.signal.aborted) return 130;

  // Resident memory of each registry process, all through the workloads (peak per round).
  const samplers = new Map<TargetName, RssSampler>();
  for (const t of targets) {
    const pid = t.unavailable ? undefined : t.registryPid();
    if (pid !== undefined) samplers.set(t.name, new RssSampler(pid, 100).start());
  }

  // results[workload][metric][target] → per-round values
  const byTarget = (): Record<TargetName, RoundValue[]> => ({ berth: [], distribution: [], sink: [] });
  const results = new Map<Workload, Map<string, Record<TargetName, RoundValue[]>>>();
  for (const w of WORKLOADS) {
    const byMetric = new Map<string, Record<TargetName, RoundValue[]>>();
    for (const m of w.metrics) byMetric.set(m.key, byTarget());
    results.set(w, byMetric);
  }
  const rssRounds = byTarget();

  for (let round = 1; round <= ROUNDS; round++) {
    // Rotate who goes first (B D S, D S B, S B D, …; with two targets: B D, D B, …), so none
    // always runs on a warmer (or more tired) machine.
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]!);
    log(`round ${round} of ${ROUNDS} (${order.map((t) => t.label).join(", then ")})`);
    for (const s of samplers.values()) s.reset();
    for (const w of WORKLOADS) {
      for (const t of order) {
        if (abort.signal.aborted) return 130;
        if (t.name === "sink" && !w.sink) continue;
        const byMetric = results.get(w)!;
        if (t.unavailable) {
          for (const m of w.metrics) byMetric.get(m.key)![t.name].push({ round, error: `unavailable: ${t.unavailable}` });
          continue;
        }
        try {
          const values = await w.run(t, round, ctx);
          for (const m of w.metrics) byMetric.get(m.key)![t.name].push({ round, value: values[m.key]! });
          log(`  ${w.name.padEnd(18)} ${t.label.padEnd(12)} ${w.metrics.map((m) => `${values[m.key]!.toFixed(m.decimals ?? 1)} ${m.unit}`).join(", ")}`);
        } catch (err) {
          const message = t.unavailable ? `unavailable: ${t.unavailable}` : errorText(err);
          for (const m of w.metrics) byMetric.get(m.key)![t.name].push({ round, error: message });
          log(`  ${w.name.padEnd(18)} ${t.label.padEnd(12)} FAILED: ${message}`);
        }
      }
    }
    for (const t of targets) {
      const s = samplers.get(t.name);
      if (s && !t.unavailable) rssRounds[t.name].push({ round, value: s.peak / MiB });
      else rssRounds[t.name].push({ round, error: t.unavailable ? `unavailable: ${t.unavailable}` : "registry PID unknown" });
    }
  }
  for (const s of samplers.values()) s.stop();

  const rows: Row[] = [];
  for (const w of WORKLOADS) {
    for (const m of w.metrics) {
      const r = results.get(w)!.get(m.key)!;
      rows.push(makeRow(m, series(r.berth), series(r.distribution), sink && w.sink ? series(r.sink) : undefined));
    }
  }
  rows.push(
    makeRow(
      { key: "peak-rss", label: "registry peak RSS during the workloads (MiB)", unit: "MiB", higherIsBetter: false, summary: "max", decimals: 0 },
      series(rssRounds.berth, "max"),
      series(rssRounds.distribution, "max"),
      sink ? series(rssRounds.sink, "max") : undefined,
    ),
  );

  // The 2 GiB blob, once per target (Distribution for reference), after the rounds.
  if (RUN_BIG) {
    const big: Record<"berth" | "distribution", RoundValue[][]> = { berth: [[], [], []], distribution: [[], [], []] };
    for (const t of [berth, distribution]) {
      if (abort.signal.aborted) return 130;
      let r: BigBlobResult | undefined;
      let error: string | undefined;
      if (t.unavailable) error = `unavailable: ${t.unavailable}`;
      else {
        log(`2 GiB streamed upload + download on ${t.label}`);
        try {
          r = await bigBlob(t, ctx);
          log(`  ${t.label}: RSS ${r.baselineMiB.toFixed(0)} → peak ${r.peakMiB.toFixed(0)} MiB (+${r.growthMiB.toFixed(0)}), up ${r.uploadMiBps.toFixed(0)} MiB/s, down ${r.downloadMiBps.toFixed(0)} MiB/s`);
        } catch (err) {
          error = t.unavailable ? `unavailable: ${t.unavailable}` : errorText(err);
          log(`  ${t.label}: FAILED: ${error}`);
        }
      }
      const [growth, up, down] = big[t.name];
      growth!.push(r ? { round: 1, value: r.growthMiB } : { round: 1, error: error! });
      up!.push(r ? { round: 1, value: r.uploadMiBps } : { round: 1, error: error! });
      down!.push(r ? { round: 1, value: r.downloadMiBps } : { round: 1, error: error! });
    }
    const gib = BIG_SIZE / 1024 / MiB;
    rows.push(
      makeRow(
        { key: "big-growth", label: `RSS growth during ${gib} GiB up+down (MiB)`, unit: "MiB", higherIsBetter: false, berthMax: BIG_GROWTH_LIMIT_MIB, decimals: 0 },
        series(big.berth[0]!),
        series(big.distribution[0]!),
      ),
      makeRow({ key: "big-up", label: `${gib} GiB streamed upload, 1 PATCH (MiB/s)`, unit: "MiB/s", higherIsBetter: true, decimals: 0 }, series(big.berth[1]!), series(big.distribution[1]!)),
      makeRow({ key: "big-down", label: `${gib} GiB download (MiB/s)`, unit: "MiB/s", higherIsBetter: true, decimals: 0 }, series(big.berth[2]!), series(big.distribution[2]!)),
    );
  }

  // Scanning (Berth only: Distribution has no scanner), each scan timed against pulling the same layer.
  let scanning: ScanResult[] | { error: string } | undefined;
  if (RUN_SCAN && !berth.unavailable && !abort.signal.aborted) {
    try {
      scanning = await scanBench(berth, ctx);
      for (const r of scanning) log(`  ${r.image}: scan ${r.scanSeconds.toFixed(1)} s, pull ${r.pullSeconds.toFixed(1)} s (×${r.ratio.toFixed(1)}), adapter RSS +${r.adapterGrowthMiB.toFixed(0)} MiB, ${r.packages} packages`);
    } catch (err) {
      scanning = { error: errorText(err) };
      log(`  scanning FAILED: ${scanning.error}`);
    }
  }

  // The kernel's high-water mark of each registry process over the whole run (the 2 GiB blob included).
  const hwm = (t: Target) => {
    const pid = t.unavailable ? undefined : t.registryPid();
    const bytes = pid === undefined ? undefined : highWaterMark(pid);
    return bytes === undefined ? {} : { registryVmHWMMiB: Math.round(bytes / MiB) };
  };

  const report: Report = {
    date: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    machine: machineNote(),
    settings: { rounds: ROUNDS, wrkSeconds: Number(process.env["BERTH_BENCH_WRK_SECONDS"] ?? 8), bigBlob: RUN_BIG, sink: RUN_SINK },
    targets: {
      berth: {
        baseUrl: berth.baseUrl,
        ...hwm(berth),
        ...(berth.unavailable ? { unavailable: berth.unavailable } : {}),
        notes: `LocalStack behind its nginx; bearer-token auth on (tokens fetched untimed); BERTH_LOG_LEVEL=warn; checkout ${berthRoot}`,
      },
      distribution: {
        baseUrl: distribution.baseUrl,
        ...hwm(distribution),
        ...(distribution.unavailable ? { unavailable: distribution.unavailable } : {}),
        notes: "CNCF Distribution (docker-registry serve), filesystem storage, inmemory blob descriptor cache, no auth, log level warn, behind nginx rendered from the same template",
      },
      ...(sink && {
        sink: {
          baseUrl: sink.baseUrl,
          ...hwm(sink),
          ...(sink.unavailable ? { unavailable: sink.unavailable } : {}),
          notes: "the sink (e2e/src/bench/sink-registry.ts): a node:http server that hashes (sha256) and discards, no auth, no storage, no database; push-side workloads only; behind nginx rendered from the same template",
        },
      }),
    },
    rows,
    ...(scanning && { scanning }),
  };

  const table = renderTable(rows);
  const sinkNote = sink ? "; Berth÷sink and Distr.÷sink: share of the sink's ceiling" : "";
  process.stdout.write(`\nBerth vs CNCF Distribution${sink ? " (and the sink)" : ""} — ${report.date}, ${ROUNDS} rounds, medians (ratio > 1: Berth better${sinkNote})\n\n${table}\n\nEach round:\n${renderRounds(rows)}\n`);
  if (Array.isArray(scanning)) {
    process.stdout.write(`\nScanning (Berth's adapter; scan time over the time to pull the same layer through the front door, lower is better):\n`);
    for (const r of scanning) {
      process.stdout.write(`  ${r.image.padEnd(34)} ${r.sizeMiB.toFixed(0).padStart(5)} MiB  scan ${r.scanSeconds.toFixed(1).padStart(6)} s  pull ${r.pullSeconds.toFixed(1).padStart(5)} s  ×${r.ratio.toFixed(1).padStart(5)}  adapter RSS +${r.adapterGrowthMiB.toFixed(0)} MiB  ${r.packages} packages\n`);
    }
  } else if (scanning) process.stdout.write(`\nScanning failed: ${scanning.error}\n`);
  const failures = renderFailures(rows);
  if (failures) process.stdout.write(`\nFailures:\n${failures}\n`);
  for (const t of targets) {
    const h = report.targets[t.name]?.registryVmHWMMiB;
    if (h !== undefined) process.stdout.write(`${t.label}'s registry process: VmHWM ${h} MiB over the whole run\n`);
  }
  for (const t of targets) if (t.unavailable) process.stdout.write(`\n${t.label} was not measurable: ${t.unavailable}\n`);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nJSON: ${OUT} (took ${report.durationSeconds} s)\n`);
  return rows.some((r) => r.status === "failed" || r.berth.failed || r.distribution.failed || r.sink?.failed) || (scanning !== undefined && !Array.isArray(scanning)) ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  for (const t of targets) {
    const tail = t.recentOutput().slice(-10);
    if (tail.length) log(`${t.label}'s last output:\n    ${tail.join("\n    ")}`);
  }
} finally {
  await cleanup();
}
process.exit(code);
