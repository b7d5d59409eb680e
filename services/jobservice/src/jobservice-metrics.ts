/**
 * Jobservice's metrics (`@berth/metrics`): how long jobs take, how many wait in each queue, how
 * many outbox events wait to be relayed, and replication tasks and bytes. Depths are read at each scrape, each read bounded
 * (a stalled Redis or PostgreSQL leaves the gauge without that series, never a hung scrape).
 */
import type { PrismaClient } from "@berth/db";
import { counter, gauge, histogram, LATENCY_BUCKETS } from "@berth/metrics";
import type { Queues } from "@berth/queue";

const jobDuration = histogram({
  name: "berth_job_duration_seconds",
  help: "Time a job's handler ran, by queue, job name and outcome (completed, failed)",
  labelNames: ["queue", "job", "outcome"],
  buckets: LATENCY_BUCKETS,
});

/** Times `run`, a handler of job `job` of `queue`. */
export async function timeJob<T>(queue: string, job: string, run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  let outcome = "failed";
  try {
    const result = await run();
    outcome = "completed";
    return result;
  } finally {
    jobDuration.observe({ queue, job, outcome }, (performance.now() - start) / 1000);
  }
}

/** Replication task attempts by outcome (Success, Stopped, Error), and bytes copied. */
export const replicationTasks = counter({ name: "berth_replication_task_attempts_total", help: "Replication task attempts by outcome (Success, Stopped, Error)", labelNames: ["outcome"] });
export const replicationBytes = counter({ name: "berth_replication_bytes_total", help: "Bytes replication copied to destinations" });

const SCRAPE_BOUND_MS = 2_000;

function bounded<T>(promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), SCRAPE_BOUND_MS)))])
    .catch(() => undefined)
    .finally(() => clearTimeout(timer));
}

const STATES = ["waiting", "prioritized", "active", "delayed", "failed", "completed"] as const;

/** What the depth gauges read: the jobservice of this process (the last one built, in tests). */
let watched: { queues: Queues; db: PrismaClient } | undefined;

gauge({
  name: "berth_queue_jobs",
  help: "Jobs in each BullMQ queue, by state (completed and failed are the ones kept for inspection)",
  labelNames: ["queue", "state"],
  async collect() {
    this.reset();
    const queues = watched?.queues;
    if (queues === undefined) return;
    await Promise.all(
      queues.all().map(async (queue) => {
        const counts = await bounded(queue.getJobCounts(...STATES));
        if (counts === undefined) return;
        for (const state of STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }),
    );
  },
});

gauge({
  name: "berth_outbox_pending_events",
  help: "Outbox events not yet relayed to the queues",
  async collect() {
    this.reset();
    const db = watched?.db;
    if (db === undefined) return;
    const pending = await bounded(db.outboxEvent.count({ where: { publishedAt: null } }));
    if (pending !== undefined) this.set(pending);
  },
});

/** Points the queue-depth and outbox gauges at these queues and this database. */
export function watchQueues(queues: Queues, db: PrismaClient): void {
  watched = { queues, db };
}
