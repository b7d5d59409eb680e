import type { OutboxEvent } from "@berth/db";
import type { OutboxEventType, RegistryEventPayload } from "@berth/queue";

/**
 * One consumer of outbox events (audit, webhooks; later scan-on-push and replication). The
 * fan-out calls `handle` for every event whose type is in `types`; a subscriber that succeeded
 * is not called again when the fan-out job is retried for another's failure.
 */
export interface EventSubscriber {
  readonly name: string;
  readonly types: readonly OutboxEventType[];
  handle(event: OutboxEvent): Promise<void>;
}

/** The payload of registry events (`manifest.*`, `tag.*`), as registry-store writes it. */
export type RegistryEventData = RegistryEventPayload;

/** Reads a registry event's payload (throws on a malformed one). */
export function registryEventData(event: OutboxEvent): RegistryEventData {
  const p = event.payload as Record<string, unknown> | null;
  if (!p || typeof p["repository"] !== "string" || typeof p["digest"] !== "string") throw new Error(`event ${event.eventId} (${event.type}) has no repository/digest`);
  return p as unknown as RegistryEventData;
}

/** The project (first path segment) of repository `name`. */
export function projectOf(repository: string): string {
  return repository.split("/")[0]!;
}
