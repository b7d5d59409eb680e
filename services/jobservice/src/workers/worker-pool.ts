/**
 * One BullMQ worker per queue, with that queue's concurrency, dispatching each job to its
 * handler by name.
 */
import { hostname } from "node:os";
import { Worker, type ConnectionOptions, type WorkerOptions } from "bullmq";
import { settlesWithin } from "@berth/http";
import type { Logger } from "@berth/logger";
import { isJobName, jobsOf, QUEUE_NAMES, UnrecoverableError, type Job, type QueueName } from "@berth/queue";
import { timeJob } from "../jobservice-metrics.js";
import type { Handler, HandlerMap } from "./handlers.js";

export interface WorkerPoolOptions {
  connection: ConnectionOptions;
  prefix: string;
  handlers: HandlerMap;
  concurrency: Record<QueueName, number>;
  logger: Logger;
  /** Queues to run (default: all). */
  queues?: readonly QueueName[];
  /** BullMQ's job lock (ms, default BullMQ's 30 s); a job not renewed for this long is redelivered. */
  lockMs?: number;
  /** Per-queue lock and stall settings (over `lockMs`). */
  workerOptions?: { [Q in QueueName]?: Pick<WorkerOptions, "lockDuration" | "stalledInterval" | "maxStalledCount"> };
}

/** This process as BullMQ records it in a job's `processedBy` (dashboards; the replica tests). */
export const WORKER_NAME = `${hostname()}:${process.pid}`;

export class WorkerPool {
  readonly workers: Worker[];
  readonly #log: Logger;
  /** Jobs whose handler is running in this process. */
  #running = 0;

  constructor(o: WorkerPoolOptions) {
    const log = (this.#log = o.logger.child({ module: "workers" }));
    this.workers = (o.queues ?? QUEUE_NAMES).map((queue) => {
      const names = new Set<string>(jobsOf(queue));
      const worker = new Worker(
        queue,
        async (job: Job) => {
          if (!isJobName(job.name) || !names.has(job.name)) throw new UnrecoverableError(`queue ${queue} has no job named ${job.name}`);
          const handler = o.handlers[job.name] as Handler<typeof job.name>;
          this.#running++;
          try {
            return await timeJob(queue, job.name, () => handler(job as never));
          } finally {
            this.#running--;
          }
        },
        {
          connection: o.connection,
          prefix: o.prefix,
          concurrency: o.concurrency[queue],
          autorun: true,
          name: WORKER_NAME,
          ...(o.lockMs !== undefined && { lockDuration: o.lockMs, stalledInterval: o.lockMs }),
          ...o.workerOptions?.[queue],
        },
      );
      worker.on("error", () => undefined); // connection errors: reported once by the Redis client
      worker.on("failed", (job, err) => {
        if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) log.warn("job failed for good", { queue, job: job.name, jobId: job.id, err: err.message });
      });
      return worker;
    });
  }

  /**
   * Stops taking jobs and waits up to `drainMs` for running ones (BullMQ's graceful close). A job
   * still running then is left behind: `giveUp` cuts the queue connection, so what waits on Redis
   * fails now and the job's lock is no longer renewed; once it expires BullMQ hands the job to a
   * worker again (handlers are idempotent; a replication copy resumes from its last chunk). The same
   * happens when Redis is stopping too (a supervisor signalling every process): a finished job
   * cannot be recorded, so waiting longer would only end in a SIGKILL.
   */
  async close(drainMs: number, giveUp: () => void): Promise<void> {
    const closed = Promise.all(this.workers.map((w) => w.close()));
    if (await settlesWithin(closed, drainMs)) return;
    this.#log.warn(`the workers did not close within ${drainMs} ms; jobs left running run again once their lock expires`, { running: this.#running });
    giveUp();
    await settlesWithin(closed, 1_000);
  }
}
