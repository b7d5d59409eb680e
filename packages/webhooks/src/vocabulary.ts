/** Harbor's webhook vocabulary as Berth speaks it: event types, notify types, payload formats. */
import type { OutboxEventType } from "@berth/queue/events";

/** Event types a policy may subscribe to (Harbor's names). */
export const WEBHOOK_EVENT_TYPES = [
  "PUSH_ARTIFACT",
  "PULL_ARTIFACT",
  "DELETE_ARTIFACT",
  "SCANNING_COMPLETED",
  "SCANNING_FAILED",
  "SCANNING_STOPPED",
  "QUOTA_EXCEED",
  "QUOTA_WARNING",
  "REPLICATION",
  "TAG_RETENTION",
] as const;

/** A webhook event type. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Where a target's payload goes: a plain HTTP receiver or a Slack incoming webhook. */
export const NOTIFY_TYPES = ["http", "slack"] as const;
export type NotifyType = (typeof NOTIFY_TYPES)[number];

/** Payload formats per notify type (`DockerHub` is Berth's addition, for Docker Hub consumers such as Jenkins). */
export const PAYLOAD_FORMATS = {
  http: ["Default", "CloudEvents", "DockerHub"],
  slack: ["Default"],
} as const satisfies Record<NotifyType, readonly string[]>;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[NotifyType][number];

/** CloudEvents `type` of each event type (as Harbor names them). */
export const CLOUDEVENT_TYPES: { readonly [E in WebhookEventType]: string } = {
  PUSH_ARTIFACT: "harbor.artifact.pushed",
  PULL_ARTIFACT: "harbor.artifact.pulled",
  DELETE_ARTIFACT: "harbor.artifact.deleted",
  SCANNING_COMPLETED: "harbor.scan.completed",
  SCANNING_FAILED: "harbor.scan.failed",
  SCANNING_STOPPED: "harbor.scan.stopped",
  QUOTA_EXCEED: "harbor.quota.exceed",
  QUOTA_WARNING: "harbor.quota.warning",
  REPLICATION: "harbor.replication.status.changed",
  TAG_RETENTION: "harbor.tag_retention.finished",
};

/**
 * The one mapping from Berth's outbox events (`@berth/queue/events`) to Harbor's webhook event
 * types: the events that produce a webhook. Scan, replication and retention events join when their
 * producers write them.
 */
export const OUTBOX_TO_WEBHOOK_EVENT: { readonly [E in OutboxEventType]?: WebhookEventType } = {
  "manifest.pushed": "PUSH_ARTIFACT",
  "manifest.pulled": "PULL_ARTIFACT",
  "manifest.deleted": "DELETE_ARTIFACT",
  "quota.exceeded": "QUOTA_EXCEED",
  "quota.warning": "QUOTA_WARNING",
  "scan.completed": "SCANNING_COMPLETED",
  "scan.failed": "SCANNING_FAILED",
  "scan.stopped": "SCANNING_STOPPED",
  "replication.finished": "REPLICATION",
  "retention.finished": "TAG_RETENTION",
};

/** One target of a policy, as stored (`webhook_policies.targets[]`). */
export interface WebhookTarget {
  type: NotifyType;
  /** http(s) URL of the receiver. */
  address: string;
  /** Sent as `Authorization`. */
  auth_header?: string;
  skip_cert_verify: boolean;
  payload_format: PayloadFormat;
  /** HMAC-SHA256 key of `X-Berth-Signature`; write-only in the API. */
  secret?: string;
  /** DockerHub format: tag to add to the artifact when the consumer calls back `success`. */
  promote_tag?: string;
}

/** The vendor type of webhook executions (Harbor's `WEBHOOK`). */
export const WEBHOOK_VENDOR_TYPE = "WEBHOOK";

/** Execution and task states (Harbor's). */
export type JobStatus = "Pending" | "Running" | "Success" | "Error" | "Stopped";
