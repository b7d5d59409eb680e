/**
 * Jobservice's parts built from their dependencies (shared by main.ts and the integration
 * tests): queues, the outbox relay, the fan-out subscribers, the handler map, the workers and
 * the periodic jobs (including the GC schedule mirrored from `system_schedules`).
 */
import type { PrismaClient } from "@berth/db";
import { settlesWithin } from "@berth/http";
import type { Logger } from "@berth/logger";
import { Queues, UnrecoverableError, type JobName, type JobsOptions, type QueueName } from "@berth/queue";
import type { DataKey } from "@berth/secrets";
import type { SigningKey } from "@berth/token";
import type { Redis } from "@berth/redis";
import { GarbageCollector, type GarbageCollectorOptions, type RegistryStore } from "@berth/registry-store";
import type { StorageDriver } from "@berth/storage";
import { purgeExpiredCallbacks } from "@berth/webhooks";
import { replicationFinalEvent } from "@berth/replication";
import { retentionFinalEvent } from "@berth/retention";
import { auditSubscriber } from "./audit/audit.subscriber.js";
import { fanoutHandler } from "./events/fanout.job.js";
import type { EventSubscriber } from "./events/subscriber.js";
import { ExecutionStore } from "./executions/execution-store.js";
import type { SessionLocks } from "./executions/session-locks.js";
import { gcRequestedSubscriber, gcRunHandler, gcScheduledHandler, gcScheduleSubscriber, syncGcSchedule } from "./gc/gc.jobs.js";
import { OutboxRelay } from "./relay/outbox-relay.js";
import { AdapterFactory } from "./replication/adapters/adapter-factory.js";
import { MountHints } from "./replication/copy-blob.js";
import { replicationExecuteHandler } from "./replication/execute.job.js";
import {
  replicationPolicySubscriber,
  replicationRequestedSubscriber,
  replicationScheduledHandler,
  replicationTriggerSubscriber,
  syncReplicationSchedules,
} from "./replication/replication.subscribers.js";
import type { ReplicationDeps } from "./replication/replication-deps.js";
import { replicationAuditSubscriber } from "./replication/replication-report.js";
import { ResumeStore } from "./replication/resume-store.js";
import { StopWatch } from "./replication/stop-watch.js";
import { replicationTaskHandler } from "./replication/task.job.js";
import {
  retentionExecuteHandler,
  retentionPolicySubscriber,
  retentionRequestedSubscriber,
  retentionScheduledHandler,
  syncRetentionSchedules,
} from "./retention/retention.jobs.js";
import { deliverHandler } from "./webhooks/deliver.job.js";
import { promoteTagSubscriber, type Tagger } from "./webhooks/promote-tag.subscriber.js";
import { webhookSubscriber } from "./webhooks/webhook.subscriber.js";
import type { HandlerMap } from "./workers/handlers.js";
import { SbomPublisher } from "./scanning/sbom-publisher.js";
import { ScanCredentials } from "./scanning/scan-credentials.js";
import { scanRunHandler } from "./scanning/scan.job.js";
import { scanOnPushSubscriber, scannedImageDeletedSubscriber, scanRequestedSubscriber } from "./scanning/scan.subscribers.js";
import { scanAllRequestedSubscriber, scanAllRunHandler, scanAllScheduledHandler, scanAllScheduleSubscriber, syncScanAllSchedule } from "./scanning/scan-all.jobs.js";
import { WorkerPool } from "./workers/worker-pool.js";
import { watchQueues } from "./jobservice-metrics.js";

export interface JobserviceOptions {
  db: PrismaClient;
  /** PostgreSQL session locks guarding each task and the GC sweep across replicas. */
  locks: SessionLocks;
  /** A BullMQ-mode connection (`createRedisClient(url, logger, { forQueues: true })`). */
  redis: Redis;
  logger: Logger;
  prefix: string;
  concurrency: Record<QueueName, number>;
  externalUrl: string;
  relayPollMs: number;
  webhook: { denyPrivate: boolean; timeoutMs: number; callbackTtlMs: number };
  /** BullMQ's job lock (ms; default 30 s): how soon a stalled job goes to another worker. */
  queueLockMs?: number;
  /** Per-job option overrides (tests: short backoffs). */
  jobOptions?: { [N in JobName]?: JobsOptions };
  /**
   * The registry's storage and registry-store over `db` (the same `BERTH_STORAGE_*` settings and
   * default root as the registry): garbage collection and `promote_tag` work on them.
   */
  storage: { driver: StorageDriver; registry: RegistryStore };
  /** Tagger for `promote_tag` (default: `storage.registry.artifacts`). */
  tagger?: Tagger;
  /**
   * Running scans: the token signing key (the scan's pull credential), the registry URL the adapter pulls from, the scan timeout. Without it,
   * `scan.run` fails its jobs as unconfigured.
   */
  scanning?: {
    signingKey: () => Promise<SigningKey>;
    token: { issuer: string; service: string };
    registryUrl: string;
    timeoutMs: number;
  };
  /** Collector tuning (tests: a shorter upload idle floor). */
  gc?: Partial<Pick<GarbageCollectorOptions, "uploadMinIdleHours" | "batchSize" | "sweepTimeoutMs">>;
  /** The data key that opens registry endpoints' and scanner registrations' credentials. */
  dataKey: DataKey;
  /** Replication tuning: `copy_by_chunk` chunk size (bytes), how often stop requests are polled (ms). */
  replication?: { chunkSize?: number; stopPollMs?: number };
}

/** Default chunk of `copy_by_chunk` copies. */
export const DEFAULT_REPLICATION_CHUNK_SIZE = 16 * 1024 * 1024;

export const RELAY_SWEEP_EVERY_MS = 60_000;
/**
 * How long a stop waits for running jobs (ms): within the launcher's 8 s and Compose's 30 s before
 * SIGKILL, with room for the closers after it. Longer jobs are redelivered (docs/operations.md).
 */
export const STOP_DRAIN_MS = 5_000;
export const CALLBACK_EXPIRY_EVERY_MS = 3_600_000;

export function createJobservice(o: JobserviceOptions) {
  const queues = new Queues({ connection: o.redis, prefix: o.prefix, ...(o.jobOptions && { overrides: o.jobOptions }) });
  watchQueues(queues, o.db);
  const executions = new ExecutionStore(o.db, { locks: o.locks, finalEvent: (e) => replicationFinalEvent(e) ?? retentionFinalEvent(e) });
  const replication: ReplicationDeps = {
    db: o.db,
    executions,
    queues,
    logger: o.logger,
    adapters: new AdapterFactory({ db: o.db, registry: o.storage.registry, redis: o.redis, prefix: o.prefix, dataKey: o.dataKey, userAgent: "berth-jobservice" }),
    stops: new StopWatch(executions, o.replication?.stopPollMs ?? 1_000, (err) => o.logger.warn("cannot read stop requests", { err: (err as Error).message })),
    uploads: new ResumeStore(o.db),
    mounts: new MountHints(),
    chunkSize: o.replication?.chunkSize ?? DEFAULT_REPLICATION_CHUNK_SIZE,
  };
  const relay = new OutboxRelay({ db: o.db, queues, logger: o.logger, queueReady: () => o.redis.status === "ready", pollIntervalMs: o.relayPollMs });
  // The fan-out is a list of small subscribers; scan-on-push and replication join here.
  const subscribers: EventSubscriber[] = [
    auditSubscriber(o.db, o.logger),
    webhookSubscriber({ db: o.db, executions, queues, externalUrl: o.externalUrl }),
    promoteTagSubscriber({ tagger: o.tagger ?? o.storage.registry.artifacts, proxies: o.storage.registry.proxies, logger: o.logger }),
    gcRequestedSubscriber({ queues }),
    gcScheduleSubscriber({ db: o.db, queues, logger: o.logger }),
    replicationRequestedSubscriber({ queues }),
    replicationPolicySubscriber({ db: o.db, queues, logger: o.logger }),
    replicationTriggerSubscriber({ ...replication, registry: o.storage.registry }),
    replicationAuditSubscriber(o.db),
    retentionRequestedSubscriber({ queues }),
    retentionPolicySubscriber({ db: o.db, queues, logger: o.logger }),
  ];
  const sboms = new SbomPublisher(o.storage.registry);
  subscribers.push(
    scanRequestedSubscriber({ queues }),
    scanOnPushSubscriber({ db: o.db, queues, registry: o.storage.registry, logger: o.logger }),
    scannedImageDeletedSubscriber({ db: o.db, sboms }),
    scanAllRequestedSubscriber({ queues }),
    scanAllScheduleSubscriber({ db: o.db, queues, logger: o.logger }),
  );
  const scanning = o.scanning;
  const scanRun: HandlerMap["scan.run"] = scanning
    ? scanRunHandler({
        db: o.db,
        registry: o.storage.registry,
        dataKey: o.dataKey,
        credentials: new ScanCredentials(scanning.signingKey, scanning.token, Math.ceil(scanning.timeoutMs / 1000)),
        sboms,
        logger: o.logger,
        registryUrl: scanning.registryUrl,
        timeoutMs: scanning.timeoutMs,
      })
    : async () => {
        throw new UnrecoverableError("scanning is not configured in this jobservice");
      };
  const collector = new GarbageCollector({ db: o.db, driver: o.storage.driver, manifests: o.storage.registry.manifests, ...o.gc });
  const handlers: HandlerMap = {
    "event.fanout": fanoutHandler({ db: o.db, subscribers }),
    "webhook.deliver": deliverHandler({ db: o.db, executions, logger: o.logger, externalUrl: o.externalUrl, ...o.webhook }),
    "relay.sweep": async () => ({ published: await relay.publishPending() }),
    "webhook.callbacks.expire": async () => ({ deleted: await purgeExpiredCallbacks(o.db) }),
    "gc.run": gcRunHandler({ db: o.db, queues, logger: o.logger, collector, locks: o.locks }),
    "gc.scheduled": gcScheduledHandler({ db: o.db, queues, logger: o.logger }),
    "scan.run": scanRun,
    "scan_all.run": scanAllRunHandler({ db: o.db, queues, executions, logger: o.logger }),
    "scan_all.scheduled": scanAllScheduledHandler({ queues }),
    "replication.execute": replicationExecuteHandler(replication),
    "replication.task": replicationTaskHandler(replication),
    "replication.scheduled": replicationScheduledHandler({ db: o.db, logger: o.logger }),
    "retention.execute": retentionExecuteHandler({ db: o.db, executions, queues, logger: o.logger, registry: o.storage.registry }),
    "retention.scheduled": retentionScheduledHandler({ db: o.db, logger: o.logger }),
  };
  let workers: WorkerPool | undefined;
  return {
    queues,
    executions,
    replication,
    relay,
    /** Starts the relay, the workers and the schedules. */
    async start(): Promise<void> {
      relay.start();
      workers = new WorkerPool({
        connection: o.redis,
        prefix: o.prefix,
        handlers,
        concurrency: o.concurrency,
        logger: o.logger,
        ...(o.queueLockMs !== undefined && { lockMs: o.queueLockMs }),
        // A replication task killed with its process is taken up again within ~15 s (it resumes);
        // a setting of the lock (tests) applies to it too.
        workerOptions: { replication: { lockDuration: o.queueLockMs ?? 15_000, stalledInterval: o.queueLockMs ?? 15_000, maxStalledCount: 5 } },
      });
      // Schedules need Redis; without it they are set up when it returns (the relay does not need them).
      const schedule = async () => {
        await queues.schedule("relay.sweep", RELAY_SWEEP_EVERY_MS, {});
        await queues.schedule("webhook.callbacks.expire", CALLBACK_EXPIRY_EVERY_MS, {});
        const gc = await syncGcSchedule(o.db, queues);
        if (gc.invalid) o.logger.error(`GC schedule not set: ${gc.invalid}; set a valid schedule through the API`);
        const scanAll = await syncScanAllSchedule(o.db, queues);
        if (scanAll.invalid) o.logger.error(`scan-all schedule not set: ${scanAll.invalid}; set a valid schedule through the API`);
        await syncReplicationSchedules(o.db, queues, o.logger);
        await syncRetentionSchedules(o.db, queues, o.logger);
      };
      if (o.redis.status === "ready") await schedule();
      else o.redis.once("ready", () => void schedule().catch((err: Error) => o.logger.warn("cannot set up job schedules", { err: err.message })));
    },
    /**
     * Stops the relay and the workers (running jobs get `drainMs` to finish), then closes the
     * queues. Bounded throughout, so a stop while Redis goes away too still ends in time.
     */
    async stop(drainMs = STOP_DRAIN_MS): Promise<void> {
      await relay.stop();
      // Giving up on running jobs cuts the queue connection (this is the end of the jobservice).
      await workers?.close(drainMs, () => o.redis.disconnect());
      replication.stops.close();
      await replication.adapters.close();
      if (!(await settlesWithin(queues.close(), 1_000))) o.logger.warn("the queues did not close within 1 s (Redis gone?)");
    },
  };
}

export type Jobservice = ReturnType<typeof createJobservice>;
