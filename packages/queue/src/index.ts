/**
 * `@berth/queue`: the queue names, job names and payloads (one typed map), the outbox event types
 * and payloads (`./events`), the cron validator every schedule uses (`./cron`), central defaults
 * for attempts and backoff, and typed helpers to add jobs. Handlers throw
 * {@link UnrecoverableError} for failures that retrying cannot fix. `@berth/queue/events` and
 * `@berth/queue/cron` load no BullMQ.
 */
export { QUEUE_NAMES, JOB_QUEUES, jobsOf, isJobName, type QueueName, type JobMap, type JobName, type JobData, type QueuedOutboxEvent } from "./jobs.js";
export { DEFAULT_JOB_OPTIONS, JOB_OPTIONS, jobOptions } from "./defaults.js";
export { Queues, type QueueConnection } from "./queues.js";
export { UnrecoverableError, type Job, type JobsOptions } from "bullmq";
export * from "./events.js";
export { InvalidCronError, MAX_CRON_LENGTH, nextCronRun, validateCron } from "./cron.js";
