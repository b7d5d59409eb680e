// `npm run bench:gc` — garbage collection of many orphan blobs, without a whole stack: one
// PostgreSQL server (started here), and per measurement a fresh database, a fresh storage (a
// filesystem directory, or s3rver in process) seeded with N orphan blobs (rows three hours old and
// their files, as `bench:scale` seeds them) beside L live blobs (rows inside the window, files),
// then one run created and executed as jobservice does it (`createGcRun` + `executeGcRun` over a
// Prisma client with the job limits). Each measurement runs in its own process.
// Reported per run: seconds from the run's start to its end, deletes/s, the seconds each step took
// (from the timestamps of the run's log lines), the size of the stored log; checked: every orphan
// row and file gone, every live one still there.
// BERTH_BENCH_GC_BASELINE names a built checkout of other code (e.g. the commit before a change:
//   git archive <commit> | tar -x -C /tmp/berth-baseline && (cd /tmp/berth-baseline && bash scripts/setup.sh)
// ), whose collector, storage drivers and database client are measured in the same run, rounds
// alternating between the two.
// Environment: BERTH_BENCH_GC_ORPHANS (100000), BERTH_BENCH_GC_LIVE (20000),
// BERTH_BENCH_GC_S3_ORPHANS (3000; 0 skips S3), BERTH_BENCH_ROUNDS (2), BERTH_BENCH_GC_WORKERS (1),
// BERTH_BENCH_GC_CPU_PROF (a directory: each child writes a V8 CPU profile there),
// BERTH_BENCH_OUT (e2e/bench-results/gc.json). Nothing is asserted about speed.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createTestDatabase } from "@berth/db/testing";
import { startPostgres } from "@berth/local-stack";
import type { StorageDriver } from "@berth/storage";
import { repoRoot } from "../support/launcher.js";
import { hexOf, orphanRowsSql, stepSeconds, writeOrphanFiles } from "./scale/gc-bench.js";

const ORPHANS = Number(process.env["BERTH_BENCH_GC_ORPHANS"] ?? 100_000);
const LIVE = Number(process.env["BERTH_BENCH_GC_LIVE"] ?? 20_000);
const S3_ORPHANS = Number(process.env["BERTH_BENCH_GC_S3_ORPHANS"] ?? 3_000);
const ROUNDS = Number(process.env["BERTH_BENCH_ROUNDS"] ?? 2);
const WORKERS = Number(process.env["BERTH_BENCH_GC_WORKERS"] ?? 1);
const CPU_PROF = process.env["BERTH_BENCH_GC_CPU_PROF"];
const BASELINE = process.env["BERTH_BENCH_GC_BASELINE"];
const OUT = process.env["BERTH_BENCH_OUT"] ?? join(repoRoot, "e2e/bench-results/gc.json");

const log = (line: string) => process.stderr.write(`${line}\n`);

interface ChildTask {
  label: string;
  /** The checkout whose packages run the collector. */
  root: string;
  storage: "filesystem" | "s3";
  orphans: number;
  live: number;
  adminUrl: string;
}

interface GcMeasurement {
  label: string;
  storage: "filesystem" | "s3";
  orphans: number;
  live: number;
  seconds: number;
  deletesPerSecond: number;
  seedSeconds: number;
  /** Seconds per step, from the log's timestamps (the line that ends a step minus the previous one). */
  steps: Record<string, number>;
  logBytes: number;
}

/** Live blobs: rows touched now (inside any window), so GC keeps them and its walk finds their rows. */
function liveRowsSql(count: number): string {
  return `INSERT INTO blobs (digest, size, status, updated_at)
    SELECT 'sha256:' || encode(sha256(convert_to('berth-bench-live-' || g, 'UTF8')), 'hex'), 16, 'none', now()
    FROM generate_series(0, ${count - 1}) AS g`;
}

async function child(task: ChildTask): Promise<GcMeasurement> {
  const load = (path: string) => import(pathToFileURL(join(task.root, path)).href);
  const store = (await load("packages/registry-store/dist/index.js")) as typeof import("@berth/registry-store");
  const storage = (await load("packages/storage/dist/index.js")) as Record<string, unknown>;
  const { FilesystemDriver } = storage as typeof import("@berth/storage");
  // Older checkouts export the S3 driver from the main entry, newer ones from `@berth/storage/s3`.
  const { S3Driver } = ("S3Driver" in storage ? storage : await load("packages/storage/dist/s3.js")) as typeof import("@berth/storage/s3");
  const { startS3rver } = (await load("packages/storage/dist/testing.js")) as typeof import("@berth/storage/testing");
  const { createPrismaClient, JOB_LIMITS } = (await load("packages/db/dist/index.js")) as typeof import("@berth/db");
  const db0 = await createTestDatabase(task.adminUrl);
  const db = createPrismaClient(db0.url, { applicationName: "jobservice", limits: JOB_LIMITS });
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-gc-"));
  let driver: StorageDriver;
  let close = async () => {};
  if (task.storage === "filesystem") {
    driver = new FilesystemDriver({ rootDirectory: join(dir, "registry") });
  } else {
    const server = await startS3rver(join(dir, "s3"));
    const s3 = new S3Driver(server.driverOptions(await server.createBucket("berth-bench-gc")));
    driver = s3;
    close = async () => {
      await s3.close();
      await server.close();
    };
  }
  // Ctrl-C (the whole process group gets it): the scratch directory goes; the database goes with
  // the parent's PostgreSQL.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  }
  const root = join(dir, "registry");
  const blobFile = (hex: string) => `/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`;
  const put =
    task.storage === "filesystem"
      ? async (hex: string) => {
          await mkdir(dirname(join(root, blobFile(hex))), { recursive: true });
          await writeFile(join(root, blobFile(hex)), "orphan blob data");
        }
      : (hex: string) => driver.putContent(blobFile(hex), "orphan blob data");
  try {
    const seedStart = performance.now();
    await writeOrphanFiles(task.orphans, put);
    await writeOrphanFiles(task.live, put, "berth-bench-live-");
    await db.$executeRawUnsafe(orphanRowsSql(task.orphans));
    if (task.live > 0) await db.$executeRawUnsafe(liveRowsSql(task.live));
    await db.$executeRawUnsafe("VACUUM ANALYZE blobs");
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const collector = new store.GarbageCollector({ db, driver, manifests: new store.ManifestStore({ db, driver }) });
    const runId = await store.createGcRun(db, { timeWindowHours: 2, workers: WORKERS }, "Manual");
    const started = performance.now();
    const report = await store.executeGcRun(db, collector, runId);
    const seconds = (performance.now() - started) / 1000;
    if (report === undefined) throw new Error(`run ${runId} was not executed`);
    const deleted = report.blobsDeleted + report.orphanBlobFiles;
    // Checked: nothing of the orphans left, everything live kept.
    const left = await db.$queryRawUnsafe<{ n: bigint }[]>("SELECT count(*) AS n FROM blobs WHERE updated_at < now() - interval '2 hours'");
    const live = await db.$queryRawUnsafe<{ n: bigint }[]>("SELECT count(*) AS n FROM blobs WHERE updated_at >= now() - interval '2 hours'");
    if (deleted !== task.orphans || Number(left[0]!.n) !== 0 || Number(live[0]!.n) !== task.live) {
      throw new Error(`run ${runId}: deleted ${deleted} of ${task.orphans} orphans, ${left[0]!.n} orphan rows left, ${live[0]!.n} of ${task.live} live rows`);
    }
    for (const i of [0, task.orphans - 1]) {
      if (await driver.stat(blobFile(hexOf(i))).then(() => true, () => false)) throw new Error(`orphan ${i}'s file is still there`);
    }
    if (task.live > 0 && !(await driver.stat(blobFile(hexOf(0, "berth-bench-live-"))).then(() => true, () => false))) throw new Error("a live blob's file is gone");
    const rows = await db.$queryRawUnsafe<{ log: string }[]>(`SELECT log FROM gc_runs WHERE id = ${runId}`);
    const text = rows[0]!.log;
    return { label: task.label, storage: task.storage, orphans: task.orphans, live: task.live, seconds: round(seconds), deletesPerSecond: Math.round(deleted / seconds), seedSeconds: round(seedSeconds), steps: stepSeconds(text), logBytes: Buffer.byteLength(text) };
  } finally {
    await db.$disconnect();
    await db0.drop();
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

function runChild(task: ChildTask): Promise<GcMeasurement> {
  const args = CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${resolve(CPU_PROF)}`, `--cpu-prof-name=gc-${task.label}-${task.storage}-${Date.now()}.cpuprofile`] : [];
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, [...args, fileURLToPath(import.meta.url)], { env: { ...process.env, BERTH_BENCH_GC_CHILD: JSON.stringify(task) }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.on("error", reject);
    proc.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`${task.label} ${task.storage}: child exited with ${code}`));
      resolvePromise(JSON.parse(out.trim().split("\n").pop()!) as GcMeasurement);
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-gc-pg-"));
  const pg = await startPostgres({ dir: join(dir, "postgres"), log });
  // Ctrl-C: PostgreSQL stopped (it also dies with this process: parent-death signal), scratch removed.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void pg.stop().finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }
  const variants = [{ label: "current", root: repoRoot }, ...(BASELINE ? [{ label: "baseline", root: resolve(BASELINE) }] : [])];
  const results: GcMeasurement[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which variant goes first.
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        for (const [storage, orphans, live] of [["filesystem", ORPHANS, LIVE], ["s3", S3_ORPHANS, Math.min(LIVE, S3_ORPHANS)]] as const) {
          if (orphans <= 0) continue;
          const load = (await import("node:os")).loadavg().map((l) => l.toFixed(1)).join("/");
          log(`round ${round + 1}: ${v.label} ${storage}, ${orphans} orphans + ${live} live (load ${load})`);
          const r = await runChild({ label: v.label, root: v.root, storage, orphans, live, adminUrl: pg.adminUrl });
          log(`  ${r.seconds} s, ${r.deletesPerSecond} deletes/s, steps ${JSON.stringify(r.steps)}, log ${r.logBytes} bytes (seeded in ${r.seedSeconds} s)`);
          results.push(r);
        }
      }
    }
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify({ date: new Date().toISOString(), results }, null, 2));
  console.log("| code | storage | orphans | live | seconds | deletes/s | steps (s) | log bytes |\n|---|---|---:|---:|---:|---:|---|---:|");
  for (const r of results) {
    console.log(`| ${r.label} | ${r.storage} | ${r.orphans} | ${r.live} | ${r.seconds} | ${r.deletesPerSecond} | ${Object.entries(r.steps).map(([k, v]) => `${k.replace("step ", "")}: ${v}`).join(", ")} | ${r.logBytes} |`);
  }
}

const task = process.env["BERTH_BENCH_GC_CHILD"];
if (task !== undefined) {
  child(JSON.parse(task) as ChildTask).then(
    (r) => {
      console.log(JSON.stringify(r));
      process.exit(0);
    },
    (err: unknown) => {
      log(String((err as Error).stack ?? err));
      process.exit(1);
    },
  );
} else {
  await main();
}
