/**
 * Every outbox event Berth writes, defined once: its type and its payload (one typed map, like
 * {@link JobMap} for jobs). Producers write rows of `outbox_events` in the transaction of their
 * change; jobservice's relay and fan-out hand them to subscribers. Harbor's webhook event types are
 * mapped from these in one place (`@berth/webhooks`' `OUTBOX_TO_WEBHOOK_EVENT`).
 *
 * This module loads nothing (no BullMQ): the registry and core import it as `@berth/queue/events`.
 */

/** A registry event's payload (`manifest.*`, `tag.*`, `quota.*`), as registry-store writes it. */
export type RegistryEventPayload = {
  repository: string;
  digest: string;
  tag?: string;
  mediaType?: string;
  size?: number;
  actor?: string;
  /** `manifest.pulled`: identical pulls folded into one event, and when the last one happened. */
  count?: number;
  pulledAt?: string;
  /** `quota.*`: Harbor's `custom_attributes.Details` sentence. */
  details?: string;
  [key: string]: unknown;
};

/** Event type → payload. Add an event here and every producer and subscriber sees its type. */
export type OutboxEventMap = {
  /** A manifest was pushed (by digest or with a tag). */
  "manifest.pushed": RegistryEventPayload;
  /** Pulls of a manifest (batched by the registry's pull recorder). */
  "manifest.pulled": RegistryEventPayload;
  "manifest.deleted": RegistryEventPayload;
  "tag.created": RegistryEventPayload;
  "tag.deleted": RegistryEventPayload;
  /** A push was refused for its project's quota. */
  "quota.exceeded": RegistryEventPayload;
  /** A project's usage crossed the warning threshold. */
  "quota.warning": RegistryEventPayload;
  /**
   * A proxy cache project served its cached copy because the upstream failed (down, slow, 429);
   * `details` says how it failed, `upstream` names the endpoint.
   */
  "proxy.stale_served": RegistryEventPayload;
  /** A DockerHub-format webhook consumer called back about an artifact (core's callback API). */
  "artifact.validated": {
    repository: string;
    digest: string;
    tag?: string;
    state: string;
    description: string;
    context: string;
    target_url: string;
    policy_id: number;
    /** Set on `success` when the target asks to promote: the tag to add. */
    promote_tag?: string;
  };
  /** A garbage collection run was created (`gc_runs` row `runId`, a bigint as a string). */
  "gc.requested": { runId: string; trigger: "Manual" | "Schedule" };
  /** The GC schedule changed (`system_schedules` row `gc`); jobservice re-reads the row. */
  "gc.schedule.changed": { kind: "gc"; type: string; cron: string };
  /** A scan was asked for (core's API): jobservice runs the Pending `scan_reports` rows `reportIds`. */
  "scan.requested": { reportIds: string[]; repository: string; digest: string };
  /** A scan finished (the webhook's SCANNING_COMPLETED): a registry-style payload plus Harbor's `scan_overview`. */
  "scan.completed": ScanEventPayload;
  /** A scan failed (SCANNING_FAILED). */
  "scan.failed": ScanEventPayload;
  /** A scan was stopped (SCANNING_STOPPED). */
  "scan.stopped": ScanEventPayload;
  /** Scan-all was asked for: jobservice creates its execution and starts a scan of every image. */
  "scan_all.requested": { trigger: "Manual" | "Schedule"; operator: string };
  /** The scan-all schedule changed (`system_schedules` row `scan_all`); jobservice re-reads the row. */
  "scan_all.schedule.changed": { kind: "scan_all"; type: string; cron: string };
  /** A replication execution was created (by hand through core's API, by a schedule or by an event); jobservice runs it. */
  "replication.requested": { executionId: string; policyId: number; trigger: ReplicationTrigger };
  /** A replication policy was created, changed or deleted; jobservice re-reads it (its schedule). */
  "replication.policy.changed": { policyId: number };
  /** A replication execution finished (Harbor's `REPLICATION` webhook event; an audit entry). */
  "replication.finished": { executionId: string; policyId: number; status: string; trigger: string };
  /** A retention execution was created (by hand, with `dryRun`, or by its schedule); jobservice runs it. */
  "retention.requested": { executionId: string; policyId: number; dryRun: boolean };
  /** A retention policy was created, changed or deleted; jobservice re-reads it (its schedule). */
  "retention.policy.changed": { policyId: number };
  /** A retention execution finished (Harbor's `TAG_RETENTION` webhook event). */
  "retention.finished": { executionId: string; policyId: number; status: string; trigger: string };
};
/** What started a replication execution (Harbor's `trigger` values of executions). */
export type ReplicationTrigger = "MANUAL" | "SCHEDULE" | "EVENT_BASED";

/** A scan event's payload: the artifact (as registry events name it), the reports and Harbor's overview. */
export type ScanEventPayload = RegistryEventPayload & { reportIds: string[]; scan_overview?: Record<string, unknown> };

/** An outbox event's type. */
export type OutboxEventType = keyof OutboxEventMap;

/** The payload of event `E`. */
export type OutboxEventPayload<E extends OutboxEventType> = OutboxEventMap[E];

/** Every event type (the keys of {@link OutboxEventMap}, checked both ways at compile time). */
export const OUTBOX_EVENT_TYPES = [
  "manifest.pushed",
  "manifest.pulled",
  "manifest.deleted",
  "tag.created",
  "tag.deleted",
  "quota.exceeded",
  "quota.warning",
  "proxy.stale_served",
  "artifact.validated",
  "gc.requested",
  "gc.schedule.changed",
  "scan.requested",
  "scan.completed",
  "scan.failed",
  "scan.stopped",
  "scan_all.requested",
  "scan_all.schedule.changed",
  "replication.requested",
  "replication.policy.changed",
  "replication.finished",
  "retention.requested",
  "retention.policy.changed",
  "retention.finished",
] as const satisfies readonly OutboxEventType[];

// A type in the map but missing from the list (or the reverse) fails to compile here.
type Missing = Exclude<OutboxEventType, (typeof OUTBOX_EVENT_TYPES)[number]>;
const everyTypeListed: [Missing] extends [never] ? true : Missing = true;
void everyTypeListed;

/** The events the registry's metadata writes (registry-store). */
export const REGISTRY_EVENT_TYPES = [
  "manifest.pushed",
  "manifest.pulled",
  "manifest.deleted",
  "tag.created",
  "tag.deleted",
  "quota.exceeded",
  "quota.warning",
  "proxy.stale_served",
] as const satisfies readonly OutboxEventType[];

/** A registry event's type. */
export type RegistryEventType = (typeof REGISTRY_EVENT_TYPES)[number];

/** Whether `type` (read back from `outbox_events`) is a known event type. */
export function isOutboxEventType(type: string): type is OutboxEventType {
  return (OUTBOX_EVENT_TYPES as readonly string[]).includes(type);
}
