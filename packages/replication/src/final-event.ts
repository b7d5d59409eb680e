import type { FinalEvent } from "@berth/executions";
import type { OutboxEventPayload, OutboxEventType } from "@berth/queue/events";
import { REPLICATION_VENDOR_TYPE } from "./vocabulary.js";

/**
 * The outbox event a finished replication execution writes (in the transaction that ends it):
 * `replication.finished`, Harbor's `REPLICATION` webhook and an audit entry. Both stores that can
 * end an execution — core's (a stop) and jobservice's — are built with it.
 */
export const replicationFinalEvent: FinalEvent = (e) => {
  if (e.vendorType !== REPLICATION_VENDOR_TYPE) return undefined;
  const payload: OutboxEventPayload<"replication.finished"> = { executionId: String(e.id), policyId: Number(e.vendorId), status: e.status, trigger: e.trigger };
  return { type: "replication.finished" satisfies OutboxEventType, payload };
};
