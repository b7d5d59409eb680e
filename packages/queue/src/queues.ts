import { Queue, type ConnectionOptions, type Job, type JobSchedulerJson, type JobsOptions } from "bullmq";
import { JOB_QUEUES, QUEUE_NAMES, type JobData, type JobName, type QueueName } from "./jobs.js";
import { jobOptions } from "./defaults.js";
import { validateCron } from "./cron.js";

/** Where the queues live: a Redis connection (BullMQ mode: `maxRetriesPerRequest: null`) and a key prefix. */
export interface QueueConnection {
  connection: ConnectionOptions;
  prefix: string;
  /** Per-job option overrides on top of the central defaults (tests use short backoffs). */
  overrides?: { readonly [N in JobName]?: JobsOptions };
}

/** The id of job `name`'s scheduler; `key` tells apart several schedules of one job (one per policy). */
function schedulerId(name: JobName, key?: string): string {
  return key === undefined ? `scheduler:${name}` : `scheduler:${name}:${key}`;
}
/** One BullMQ `Queue` per queue name, and typed ways to add jobs to them. */
export class Queues {
  readonly #queues: Map<QueueName, Queue>;

  constructor(readonly options: QueueConnection) {
    this.#queues = new Map(
      QUEUE_NAMES.map((name) => {
        const queue = new Queue(name, { connection: options.connection, prefix: options.prefix });
        // Connection errors are reported by the shared Redis client; without a listener they would throw.
        queue.on("error", () => undefined);
        return [name, queue];
      }),
    );
  }

  /** The BullMQ queue `name` (dashboards, schedulers, counts). */
  queue(name: QueueName): Queue {
    return this.#queues.get(name)!;
  }

  /** Every queue. */
  all(): Queue[] {
    return [...this.#queues.values()];
  }

  /**
   * Adds job `name` with `data` to its queue, with the central defaults. Pass `jobId` to
   * deduplicate: BullMQ ignores an add whose id is already known (waiting, active, kept).
   */
  enqueue<N extends JobName>(name: N, data: JobData<N>, options: JobsOptions = {}): Promise<Job<JobData<N>, unknown, N>> {
    return this.queue(JOB_QUEUES[name]).add(name, data, jobOptions(name, { ...this.options.overrides?.[name], ...options })) as Promise<Job<JobData<N>, unknown, N>>;
  }

  /** Adds many jobs of one name (one round trip per queue). */
  enqueueBulk<N extends JobName>(name: N, jobs: { data: JobData<N>; options?: JobsOptions }[]): Promise<Job[]> {
    return this.queue(JOB_QUEUES[name]).addBulk(jobs.map((j) => ({ name, data: j.data, opts: jobOptions(name, { ...this.options.overrides?.[name], ...j.options }) })));
  }

  /**
   * Runs job `name` every `everyMs` (BullMQ job scheduler; idempotent, so every instance may
   * call it at start-up and only one schedule exists).
   */
  schedule<N extends JobName>(name: N, everyMs: number, data: JobData<N>): Promise<Job | undefined> {
    const { attempts, removeOnComplete, removeOnFail } = jobOptions(name);
    return this.queue(JOB_QUEUES[name]).upsertJobScheduler(`scheduler:${name}`, { every: everyMs }, {
      name,
      data,
      opts: { ...(attempts !== undefined && { attempts }), ...(removeOnComplete !== undefined && { removeOnComplete }), ...(removeOnFail !== undefined && { removeOnFail }) },
    });
  }

  /**
   * Runs job `name` on the cron `pattern` (BullMQ job scheduler `scheduler:<name>`; Harbor's six
   * fields, seconds first, evaluated in `tz` — default UTC). Idempotent: upserting replaces it.
   *
   * @throws {InvalidCronError} before touching Redis when `pattern` cannot be scheduled.
   */
  async scheduleCron<N extends JobName>(name: N, pattern: string, data: JobData<N>, tz = "UTC", key?: string): Promise<Job | undefined> {
    const valid = validateCron(pattern, { tz });
    const { attempts, removeOnComplete, removeOnFail } = jobOptions(name);
    return this.queue(JOB_QUEUES[name]).upsertJobScheduler(schedulerId(name, key), { pattern: valid, tz }, {
      name,
      data,
      opts: { ...(attempts !== undefined && { attempts }), ...(removeOnComplete !== undefined && { removeOnComplete }), ...(removeOnFail !== undefined && { removeOnFail }) },
    });
  }
  /**
   * Removes the job scheduler of `name` (set by {@link schedule} or {@link scheduleCron}, with the
   * same `key` for per-policy schedules); false when there was none.
   */
  unschedule(name: JobName, key?: string): Promise<boolean> {
    return this.queue(JOB_QUEUES[name]).removeJobScheduler(schedulerId(name, key));
  }
  /** The job scheduler of `name` (and `key`), if any (its pattern or interval and next run). */
  async scheduler(name: JobName, key?: string): Promise<JobSchedulerJson | undefined> {
    const found = await this.queue(JOB_QUEUES[name]).getJobScheduler(schedulerId(name, key));
    // BullMQ reads an id containing ":" it does not hold as a legacy repeat key and returns a stub.
    return found && (found.pattern || found.every) ? found : undefined;
  }
  /** The keys of `name`'s keyed schedulers (`scheduler:<name>:<key>`). */
  async schedulerKeys(name: JobName): Promise<string[]> {
    const prefix = `${schedulerId(name)}:`;
    const all = await this.queue(JOB_QUEUES[name]).getJobSchedulers(0, -1);
    return all.map((s) => s.key).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }
  /** Closes every queue's connection. */
  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }
}
