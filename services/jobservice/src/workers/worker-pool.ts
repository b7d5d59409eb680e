/**
 * One BullMQ worker per queue, with that queue's concurrency, dispatching each job to its
 * handler by name.
 */
import { hostname } from "node:os";
import { Worker, type ConnectionOptions, type WorkerOptions } from "bullmq";
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

  constructor(o: WorkerPoolOptions) {
    const log = o.logger.child({ module: "workers" });
    this.workers = (o.queues ?? QUEUE_NAMES).map((queue) => {
      const names = new Set<string>(jobsOf(queue));
      const worker = new Worker(
        queue,
        async (job: Job) => {
          if (!isJobName(job.name) || !names.has(job.name)) throw new UnrecoverableError(`queue ${queue} has no job named ${job.name}`);
          const handler = o.handlers[job.name] as Handler<typeof job.name>;
          return timeJob(queue, job.name, () => handler(job as never));
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

  /** Stops taking jobs and waits for running ones (BullMQ's graceful close). */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
