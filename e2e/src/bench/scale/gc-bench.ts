// Garbage collection of many orphan blobs.
//   filesystem  the stack's own storage: N blob rows and files (seeded directly, older than the
//               window, referenced by nothing), then a GC run through the API (jobservice runs
//               it, as in production); seconds from the run's start to its end, from gc_runs
//   S3          the same collector over an S3 driver on s3rver (in this process), against its
//               own database on the stack's PostgreSQL: deletes per second
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSqlClient } from "@berth/db/sql";
import { createTestDatabase } from "@berth/db/testing";
import { GarbageCollector, ManifestStore } from "@berth/registry-store";
import { S3Driver } from "@berth/storage/s3";
import { startS3rver } from "@berth/storage/testing";
import type { ScaleStack } from "./scale-stack.js";

export interface GcResult {
  storage: "filesystem" | "s3";
  orphans: number;
  deleted: number;
  seconds: number;
  deletesPerSecond: number;
  seedSeconds: number;
  /** Seconds per step, from the run's log (filesystem: the stack's own run). */
  steps?: Record<string, number>;
}

/** Seconds each step took: the time of the line that reports the step minus that of the line reporting the one before. */
export function stepSeconds(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  let previous: number | undefined;
  for (const line of text.split("\n")) {
    const m = /^(\S+) (gc start|step \d)/.exec(line);
    if (m === null) continue;
    const t = Date.parse(m[1]!);
    if (previous !== undefined) out[m[2]!] = Math.round((t - previous) / 100) / 10;
    previous = t;
  }
  return out;
}

/** The hex digest of seeded blob `i` (`prefix` + i hashed: the orphans', unless told). */
export const hexOf = (i: number, prefix = "berth-bench-orphan-") => createHash("sha256").update(`${prefix}${i}`).digest("hex");

/** Writes the files of `count` seeded blobs through `write` (given each one's hex digest), 16 at a time. */
export async function writeOrphanFiles(count: number, write: (hex: string) => Promise<void>, prefix?: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        await write(hexOf(i, prefix));
      }
    }),
  );
}

/** Blob rows for the orphans, three hours old (outside GC's default two-hour window). */
export function orphanRowsSql(count: number): string {
  return `INSERT INTO blobs (digest, size, status, updated_at)
    SELECT 'sha256:' || encode(sha256(convert_to('berth-bench-orphan-' || g, 'UTF8')), 'hex'), 16, 'none', now() - interval '3 hours'
    FROM generate_series(0, ${count - 1}) AS g`;
}

export async function gcFilesystem(stack: ScaleStack, count: number, log: (line: string) => void): Promise<GcResult> {
  const seedStart = Date.now();
  const root = join(stack.running.dataDir, "registry");
  await writeOrphanFiles(count, async (hex) => {
    const dir = join(root, "blobs", "sha256", hex.slice(0, 2), hex);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "data"), "orphan blob data");
  });
  stack.psql(orphanRowsSql(count));
  const seedSeconds = (Date.now() - seedStart) / 1000;
  log(`  seeded ${count} orphan blobs in ${seedSeconds.toFixed(0)} s; running GC through the API`);
  const res = await stack.http.send({
    method: "POST",
    path: "/api/v2.0/system/gc/schedule",
    headers: { ...stack.admin, "content-type": "application/json" },
    body: Buffer.from(JSON.stringify({ schedule: { type: "Manual" }, parameters: { delete_untagged: false, dry_run: false, workers: 1, time_window: 2 } })),
    expect: [201],
  });
  const id = Number(String(res.headers["location"] ?? "").split("/").pop());
  for (const deadline = Date.now() + 30 * 60_000; ; ) {
    const row = stack.psql(`SELECT status FROM gc_runs WHERE id = ${id}`).trim();
    if (row === "Success" || row === "Error") break;
    if (Date.now() > deadline) throw new Error(`GC run ${id} still ${row} after 30 minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const [status, seconds, freed] = stack.psql(`SELECT status, extract(epoch FROM finished_at - started_at), freed_blobs FROM gc_runs WHERE id = ${id}`).trim().split("|");
  if (status !== "Success") throw new Error(`GC run ${id} ended ${status}`);
  const left = Number(stack.psql(`SELECT count(*) FROM blobs WHERE digest LIKE 'sha256:%' AND size = 16 AND updated_at < now() - interval '2 hours'`).trim());
  if (left !== 0) throw new Error(`${left} orphan rows left after GC run ${id}`);
  const s = Number(seconds);
  const steps = stepSeconds(stack.psql(`SELECT log FROM gc_runs WHERE id = ${id}`));
  return { storage: "filesystem", orphans: count, deleted: Number(freed), seconds: Math.round(s * 10) / 10, deletesPerSecond: Math.round(Number(freed) / s), seedSeconds: Math.round(seedSeconds), steps };
}

export async function gcS3(stack: ScaleStack, count: number, log: (line: string) => void): Promise<GcResult> {
  const dir = await mkdtemp(join(tmpdir(), "berth-bench-s3-"));
  const server = await startS3rver(dir);
  const db = await createTestDatabase(`postgresql://berth@127.0.0.1:${stack.running.ports.postgres}/postgres`);
  const sql = createSqlClient(db.url, { poolSize: 8, limits: { statementTimeoutMs: 300_000, transactionTimeoutMs: 300_000, connectTimeoutMs: 10_000 } });
  const driver = new S3Driver(server.driverOptions(await server.createBucket("berth-bench-gc")));
  try {
    const seedStart = Date.now();
    await writeOrphanFiles(count, (hex) => driver.putContent(`/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`, "orphan blob data"));
    await sql.$executeRawUnsafe(orphanRowsSql(count));
    const seedSeconds = (Date.now() - seedStart) / 1000;
    log(`  seeded ${count} orphan objects in s3rver in ${seedSeconds.toFixed(0)} s; running the collector`);
    const gc = new GarbageCollector({ db: sql, driver, manifests: new ManifestStore({ db: sql, driver }) });
    const started = performance.now();
    const report = await gc.run({ timeWindowHours: 2, workers: 1 }, () => {});
    const seconds = (performance.now() - started) / 1000;
    return { storage: "s3", orphans: count, deleted: report.blobsDeleted, seconds: Math.round(seconds * 10) / 10, deletesPerSecond: Math.round(report.blobsDeleted / seconds), seedSeconds: Math.round(seedSeconds) };
  } finally {
    await sql.$disconnect();
    await db.drop();
    await driver.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}
