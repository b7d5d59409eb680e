// `npm run bench:scale`: Berth at scale (docs/performance.md, "At scale"). Builds the dataset
// through the real API — N artifacts into one repository, N into N new repositories, each with
// token auth through the front door, timed — seeds what only the read path needs (1M tags, 100k
// orphan blobs for GC), then measures the read-path scenarios (p50/p95/p99), N concurrent pulls
// of one image, and GC on the filesystem and on S3 (s3rver). With BERTH_SCALE_BASELINE_ROOT (a
// built checkout of the code before a change) the same runs happen against that code in the same
// run: its push rate on a sample, then the very same dataset copied into it, scenarios alternating.
// Nothing here asserts a time; the JSON and Markdown reports say which target was met.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { dirname, join } from "node:path";
import { generatePassword } from "@berth/local-stack";
import { repoRoot } from "../../support/launcher.js";
import { machineNote } from "../report.js";
import { copyDataset } from "./copy-dataset.js";
import { gcFilesystem, gcS3, type GcResult } from "./gc-bench.js";
import { measure, type LatencyStats } from "./latency.js";
import { concurrentPulls, type PullsResult } from "./pulls.js";
import { SinkTarget } from "../sink-target.js";
import { pushArtifacts, repositoryOf, tagOf, type PushResult, type PushShape, type PushTarget } from "./push.js";
import { renderScaleMarkdown, recordInDocs, type ScaleReport } from "./scale-report.js";
import { ScaleStack } from "./scale-stack.js";
import { scenarios, type Dataset } from "./scenarios.js";
import { seedTags } from "./seed.js";

const env = (name: string, fallback: number) => {
  const raw = process.env[name];
  const n = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${raw}`);
  return n;
};
const S = {
  artifacts: env("BERTH_SCALE_ARTIFACTS", 100_000),
  repositories: env("BERTH_SCALE_REPOSITORIES", 100_000),
  pushers: Math.max(1, env("BERTH_SCALE_PUSHERS", 32)),
  requests: Math.max(20, env("BERTH_SCALE_REQUESTS", 200)),
  concurrency: Math.max(1, env("BERTH_SCALE_CONCURRENCY", 4)),
  seededTags: env("BERTH_SCALE_SEEDED_TAGS", 1_000_000),
  pulls: env("BERTH_SCALE_PULLS", 1000),
  orphans: env("BERTH_SCALE_ORPHANS", 100_000),
  /** The baseline's GC runs on fewer orphans (its deletes/s is the comparison; 100k would take it ~15 min). */
  baselineOrphans: env("BERTH_SCALE_BASELINE_ORPHANS", 10_000),
  s3Orphans: env("BERTH_SCALE_S3_ORPHANS", 5_000),
  baselinePush: env("BERTH_SCALE_BASELINE_PUSH", 3_000),
  /** The same pushes into the sink behind the same nginx template (the ceiling), per shape; 0 = off. */
  sinkPush: env("BERTH_SCALE_SINK_PUSH", 3_000),
};
const BASELINE_ROOT = process.env["BERTH_SCALE_BASELINE_ROOT"] || undefined;
/** The checkout measured as "berth": this one, or a built older one (runs of each, compared). */
const BERTH_ROOT = process.env["BERTH_SCALE_BERTH_ROOT"] || repoRoot;
const KEEP = process.env["BERTH_SCALE_KEEP"] === "1";
const OUT = process.env["BERTH_SCALE_OUT"] ?? join(repoRoot, "e2e", "bench-results", "scale-latest.json");
const RECORD = process.env["BERTH_SCALE_RECORD"] === "1";
const PROJECT = "scale";

const startedAt = Date.now();
const log = (line: string) => process.stderr.write(`[scale ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
const abort = new AbortController();
const stacks: (ScaleStack | SinkTarget)[] = [];
let scratch: string | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all(stacks.map((s) => s.stop().catch((err: unknown) => log(`stopping ${s.label}: ${String(err)}`))));
    if (scratch && !KEEP) rmSync(scratch, { recursive: true, force: true });
    else if (scratch) log(`kept ${scratch}`);
  })();
  return cleaning;
}
let signalled = 0;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    if (++signalled > 1) {
      for (const s of stacks) s.killNow();
      process.exit(130);
    }
    log(`${sig}: stopping everything (again to kill at once)`);
    abort.abort();
    void cleanup().finally(() => process.exit(130));
  });
}
process.on("exit", () => {
  for (const s of stacks) s.killNow();
});

const loads: { at: string; phase: string; load: number[] }[] = [];
const noteLoad = (phase: string) => loads.push({ at: new Date().toISOString(), phase, load: loadavg().map((l) => Math.round(l * 100) / 100) });

function commitOf(root: string): string {
  try {
    return execFileSync("git", ["-C", root, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

async function createProject(stack: ScaleStack, name: string): Promise<void> {
  await stack.http.send({
    method: "POST",
    path: "/api/v2.0/projects",
    headers: { ...stack.admin, "content-type": "application/json" },
    body: Buffer.from(JSON.stringify({ project_name: name, metadata: { public: "false" } })),
    expect: [201, 409],
  });
}

async function push(stack: PushTarget, shape: PushShape, project: string, count: number, label: string): Promise<PushResult> {
  noteLoad(`${label} push ${shape}`);
  log(`${label}: pushing ${count} artifacts (${shape}, ${S.pushers} pushers)`);
  const r = await pushArtifacts(stack, { shape, project, from: 0, count, pushers: S.pushers, label: `${label} ${shape}`, log, signal: abort.signal });
  log(`${label}: ${r.artifacts} artifacts in ${r.seconds} s = ${r.perSecond}/s (${r.retried} retried, ${r.errors.length} failed)`);
  return r;
}

async function main(): Promise<number> {
  scratch = mkdtempSync(join(tmpdir(), "berth-scale-"));
  const password = generatePassword();
  log(`scratch ${scratch}; starting Berth${BASELINE_ROOT ? ` and the baseline from ${BASELINE_ROOT}` : ""}`);
  const berth = await ScaleStack.start({ label: "berth", repoRoot: BERTH_ROOT, dataDir: join(scratch, "berth"), adminPassword: password, log });
  stacks.push(berth);
  const baseline = BASELINE_ROOT
    ? await ScaleStack.start({ label: "baseline", repoRoot: BASELINE_ROOT, dataDir: join(scratch, "baseline"), adminPassword: password, log })
    : undefined;
  if (baseline) stacks.push(baseline);
  const report: ScaleReport = {
    date: new Date().toISOString(),
    commit: commitOf(BERTH_ROOT),
    baselineCommit: BASELINE_ROOT ? commitOf(BASELINE_ROOT) : undefined,
    machine: machineNote(),
    settings: { ...S, baseline: BASELINE_ROOT !== undefined },
    loads,
    push: [],
    scenarios: [],
  };

  // 1. Push rates. The baseline's on a sample first (its database is replaced by the dataset after).
  if (baseline) {
    await createProject(baseline, "sample");
    for (const shape of ["one-repository", "new-repositories"] as const) {
      const r = await push(baseline, shape, "sample", S.baselinePush, "baseline");
      report.push.push({ target: "baseline", ...r });
    }
  }
  await createProject(berth, PROJECT);
  for (const [shape, count] of [["one-repository", S.artifacts], ["new-repositories", S.repositories]] as const) {
    if (count === 0 || abort.signal.aborted) continue;
    const r = await push(berth, shape, PROJECT, count, "berth");
    report.push.push({ target: "berth", ...r });
  }
  // The same pushers, concurrency and requests into the sink (a Node server behind the same nginx
  // template that only hashes and discards): the ceiling of this machine for this push shape.
  if (S.sinkPush > 0 && !abort.signal.aborted) {
    log("starting the sink behind nginx");
    const sink = await SinkTarget.start(scratch, log, { maxSockets: 1024 });
    stacks.push(sink);
    if (sink.unavailable) throw new Error(`the sink did not start: ${sink.unavailable}`);
    for (const shape of ["one-repository", "new-repositories"] as const) {
      if (abort.signal.aborted) break;
      const r = await push(sink, shape, PROJECT, S.sinkPush, "sink");
      report.push.push({ target: "sink", ...r });
    }
    await sink.stop();
    stacks.splice(stacks.indexOf(sink), 1);
  }
  if (abort.signal.aborted) return 130;

  // 2. Bookkeeping outside any timing: the seeded rows; VACUUM ANALYZE once the events settled.
  const dataset: Dataset = { project: PROJECT, artifacts: S.artifacts, repositories: S.repositories };
  if (S.seededTags > 0) {
    const repository = `${PROJECT}/seeded-tags`;
    const seconds = await seedTags(berth, repository, S.seededTags);
    dataset.seededTags = { repository, tags: S.seededTags };
    log(`seeded ${S.seededTags} tags into ${repository} in ${seconds.toFixed(0)} s`);
  }
  if (baseline) {
    log("copying the dataset into the baseline");
    const copied = await copyDataset(berth, baseline);
    log(`copied ${copied.tables.length} tables and the blob files`);
  }

  // The read path is measured on the settled dataset, as Harbor's performance suite does: the
  // pushes' events (audit rows, webhooks, scan-on-push) are worked off first — at up to ~20 ms
  // of jobservice CPU per image they trail the pushes by minutes. How long that took is reported.
  const targets = baseline ? [berth, baseline] : [berth];
  const settleStarted = Date.now();
  for (const t of targets) {
    for (let left = await t.backlog(); left > 0 && !abort.signal.aborted; left = await t.backlog()) {
      if (Date.now() - settleStarted > 15 * 60_000) throw new Error(`${t.label}: jobservice still has ${left} events and jobs after 15 minutes`);
      await sleep(2_000);
    }
  }
  log(`jobservice's backlog worked off ${((Date.now() - settleStarted) / 1000).toFixed(0)} s after the dataset was built`);
  // Statistics fresh and visibility maps set, as autovacuum would leave them (bench:lists does the
  // same): without it, autovacuum of a million fresh tags runs inside the scenarios.
  for (const t of targets) {
    const vacuumStarted = Date.now();
    t.psql("VACUUM ANALYZE");
    log(`${t.label}: VACUUM ANALYZE in ${((Date.now() - vacuumStarted) / 1000).toFixed(0)} s`);
  }
  noteLoad("settled");

  // 3. Read-path scenarios, alternating targets per scenario.
  const list = await scenarios(berth, dataset);
  const baselineList = baseline ? await scenarios(baseline, dataset) : [];
  noteLoad("scenarios");
  for (const [i, sc] of list.entries()) {
    if (abort.signal.aborted) return 130;
    const results: Record<string, LatencyStats | { error: string }> = {};
    const order = i % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const probe = t === berth ? sc.probe : baselineList[i]!.probe;
      try {
        results[t.label] = await measure(t.http, probe, S.requests, S.concurrency);
      } catch (err) {
        results[t.label] = { error: (err as Error).message.slice(0, 300) };
      }
    }
    const b = results["berth"]!;
    log(`  ${sc.name}: ${"p99" in b ? `p50 ${b.p50} p99 ${b.p99} ms` : b.error}${baseline ? ` | baseline ${"p99" in results["baseline"]! ? `p50 ${results["baseline"]!.p50} p99 ${results["baseline"]!.p99} ms` : (results["baseline"] as { error: string }).error}` : ""}`);
    report.scenarios.push({ name: sc.name, targetMs: sc.targetMs, results });
  }

  // 4. Concurrent pulls of one image.
  if (S.pulls > 0) {
    report.pulls = {};
    for (const t of targets) {
      noteLoad(`${t.label} pulls`);
      const r: PullsResult = await concurrentPulls(t, repositoryOf(PROJECT, "one-repository", 0), tagOf("one-repository", 0), S.pulls);
      log(`${t.label}: ${r.succeeded} of ${r.pulls} concurrent pulls in ${r.seconds} s; registry RSS ${r.registryRssBeforeMiB} → peak ${r.registryRssPeakMiB} MiB${r.errors.length ? `; errors: ${r.errors.join(" | ")}` : ""}`);
      report.pulls[t.label] = r;
    }
  }

  // 5. Garbage collection.
  report.gc = [];
  for (const t of targets) {
    const orphans = t === berth ? S.orphans : S.baselineOrphans;
    if (orphans > 0) {
      noteLoad(`${t.label} gc filesystem`);
      log(`${t.label}: GC of ${orphans} orphan blobs (filesystem)`);
      const r: GcResult = await gcFilesystem(t, orphans, log);
      log(`${t.label}: GC deleted ${r.deleted} in ${r.seconds} s (${r.deletesPerSecond}/s)`);
      report.gc.push({ target: t.label, ...r });
    }
  }
  if (S.s3Orphans > 0) {
    noteLoad("gc s3");
    log(`GC of ${S.s3Orphans} orphan blobs on S3 (s3rver), this checkout's collector`);
    const r = await gcS3(berth, S.s3Orphans, log);
    log(`S3: GC deleted ${r.deleted} in ${r.seconds} s (${r.deletesPerSecond}/s)`);
    report.gc.push({ target: "berth", ...r });
  }

  // 6. What the registry's metrics say after all of it.
  const metrics = await berth.metrics("registry");
  report.registryMetrics = metrics.split("\n").filter((l) => /^berth_(db_pool_wait_seconds_(sum|count)|process_resident_memory_bytes|registry_)/.test(l));
  report.durationSeconds = Math.round((Date.now() - startedAt) / 1000);

  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  const markdown = renderScaleMarkdown(report);
  writeFileSync(OUT.replace(/\.json$/, ".md"), markdown);
  process.stdout.write(`${markdown}\nJSON: ${OUT}\n`);
  if (RECORD) {
    const docs = join(repoRoot, "docs", "performance.md");
    writeFileSync(docs, recordInDocs(readFileSync(docs, "utf8"), markdown));
    log(`recorded in ${docs}`);
  }
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
