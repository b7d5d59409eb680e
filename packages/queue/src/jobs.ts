/**
 * Every job Berth runs, defined once: its name, the queue it runs on and its payload. Payloads
 * carry ids only; handlers load the current state from Postgres when they run. The one exception
 * is an outbox event, which never changes once written: its fan-out job carries a copy.
 */

/** The queues. Each has its own workers and concurrency (`BERTH_QUEUE_CONCURRENCY_<QUEUE>`). */
export const QUEUE_NAMES = ["events", "webhooks", "maintenance", "gc", "scans", "replication", "retention"] as const;

/** A queue's name. */
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Job name → payload. Add a job here and the handler map stops compiling until it is handled. */
export interface JobMap {
  /** Fan an outbox event out to its subscribers (audit, webhooks, later scan and replication). */
  "event.fanout": { eventId: string; event?: QueuedOutboxEvent };
  /** Deliver one webhook task (one target of one policy for one event). */
  "webhook.deliver": { taskId: number };
  /** Safety sweep of the outbox relay: publishes rows a missed wake-up left behind. */
  "relay.sweep": Record<string, never>;
  /** Deletes expired webhook callback tokens. */
  "webhook.callbacks.expire": Record<string, never>;
  /** Executes the Pending `gc_runs` row `runId` (a bigint as a string). Job id `gc-<runId>`. */
  "gc.run": { runId: string };
  /** The GC schedule fired: creates a run with the stored parameters and hands it to `gc.run`. */
  "gc.scheduled": Record<string, never>;
  /** Runs one artifact's scan: the Pending `scan_reports` rows `reportIds` (one scanner, one digest). Job id `scan-<first id>`. */
  "scan.run": { reportIds: string[] };
  /** Scan-all: creates a `SCAN_ALL` execution and starts a scan of every image artifact under it. */
  "scan_all.run": { trigger: "Manual" | "Schedule"; operator: string; requestId: string };
  /** The scan-all schedule fired: creates an execution and hands it to `scan_all.run`. */
  "scan_all.scheduled": Record<string, never>;
  /** Runs replication execution `executionId`: lists the source, filters, creates one task per repository. Job id `replication-execution-<id>`. */
  "replication.execute": { executionId: string };
  /** Copies (or deletes) one repository of a replication execution. Job id `replication-task-<id>`. */
  "replication.task": { taskId: string };
  /** A scheduled replication policy's cron fired: starts an execution (scheduler `scheduler:replication.scheduled:<policyId>`). */
  "replication.scheduled": { policyId: number };
  /** Runs retention execution `executionId`: one task per repository in scope, each evaluated (and, unless a dry run, applied) in turn. Job id `retention-execution-<id>`. */
  "retention.execute": { executionId: string };
  /** A retention policy's cron fired: starts an execution (scheduler `scheduler:retention.scheduled:<policyId>`). */
  "retention.scheduled": { policyId: number };
}

/**
 * An outbox row as the relay queues it (the row never changes, so the fan-out need not read it
 * back); a job queued without it (an older relay) reads the row.
 */
export interface QueuedOutboxEvent {
  /** The row's id (a bigint as a string). */
  id: string;
  type: string;
  payload: unknown;
  /** ISO 8601. */
  createdAt: string;
}

/** A job's name. */
export type JobName = keyof JobMap;

/** The payload of job `N`. */
export type JobData<N extends JobName> = JobMap[N];

/** Which queue runs each job. */
export const JOB_QUEUES: { readonly [N in JobName]: QueueName } = {
  "event.fanout": "events",
  "webhook.deliver": "webhooks",
  "relay.sweep": "maintenance",
  "webhook.callbacks.expire": "maintenance",
  "gc.run": "gc",
  "gc.scheduled": "gc",
  "scan.run": "scans",
  "scan_all.run": "maintenance",
  "scan_all.scheduled": "maintenance",
  "replication.execute": "replication",
  "replication.task": "replication",
  "replication.scheduled": "replication",
  "retention.execute": "retention",
  "retention.scheduled": "retention",
};

/** The names of the jobs of `queue`. */
export function jobsOf(queue: QueueName): JobName[] {
  return (Object.keys(JOB_QUEUES) as JobName[]).filter((name) => JOB_QUEUES[name] === queue);
}

/** Whether `name` is a known job name (for jobs read back from Redis). */
export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOB_QUEUES, name);
}
