import type { FinalEvent } from "@berth/executions";
import type { OutboxEventPayload, OutboxEventType } from "@berth/queue/events";

/** The vendor type of retention executions (Harbor's `RETENTION`). */
export const RETENTION_VENDOR_TYPE = "RETENTION";

/**
 * The outbox event a finished retention execution writes (in the transaction that ends it):
 * `retention.finished`, Harbor's `TAG_RETENTION` webhook. Both stores that can end an execution —
 * core's (a stop) and jobservice's — are built with it.
 */
export const retentionFinalEvent: FinalEvent = (e) => {
  if (e.vendorType !== RETENTION_VENDOR_TYPE) return undefined;
  const payload: OutboxEventPayload<"retention.finished"> = { executionId: String(e.id), policyId: Number(e.vendorId), status: e.status, trigger: e.trigger };
  return { type: "retention.finished" satisfies OutboxEventType, payload };
};
