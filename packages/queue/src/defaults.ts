import type { JobsOptions } from "bullmq";
import type { JobName } from "./jobs.js";

/**
 * Central job defaults: retried with exponential backoff, completed jobs kept briefly for the
 * dashboard, failed ones longer for diagnosis. Execution history lives in Postgres, not here.
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: "exponential", delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
};

/** Per-job overrides of {@link DEFAULT_JOB_OPTIONS}. */
export const JOB_OPTIONS: { readonly [N in JobName]?: JobsOptions } = {
  // Webhook receivers get 10 tries over about 17 minutes (2 s, 4 s, … 512 s between them).
  "webhook.deliver": { attempts: 10, backoff: { type: "exponential", delay: 2_000 } },
  "relay.sweep": { attempts: 1, removeOnComplete: { count: 10 }, removeOnFail: { count: 50 } },
  "webhook.callbacks.expire": { attempts: 1, removeOnComplete: { count: 10 }, removeOnFail: { count: 50 } },
  // A failed run is recorded as Error in gc_runs; a retry would find it no longer Pending.
  "gc.run": { attempts: 1, removeOnComplete: { age: 7 * 24 * 3600, count: 200 }, removeOnFail: { age: 30 * 24 * 3600, count: 200 } },
  "gc.scheduled": { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } },
  // A scan records its own failure in scan_reports; its 30-minute timeout is the job's own.
  "scan.run": { attempts: 2, backoff: { type: "fixed", delay: 5_000 } },
  "scan_all.run": { attempts: 3 },
  "scan_all.scheduled": { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } },
  // Listing a source again is cheap; a task's retry skips what arrived (HEAD) and resumes a chunked blob.
  "replication.execute": { attempts: 3, backoff: { type: "exponential", delay: 2_000 } },
  "replication.task": { attempts: 5, backoff: { type: "exponential", delay: 2_000 } },
  "replication.scheduled": { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } },
  // A retried execution continues with the tasks that have not finished.
  "retention.execute": { attempts: 3, backoff: { type: "exponential", delay: 2_000 } },
  "retention.scheduled": { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } },
};

/** The options a job of `name` is added with (defaults, then its overrides, then `extra`). */
export function jobOptions(name: JobName, extra: JobsOptions = {}): JobsOptions {
  return { ...DEFAULT_JOB_OPTIONS, ...JOB_OPTIONS[name], ...extra };
}
