import type { OutboxEvent, Prisma, PrismaClient } from "@berth/db";
import type { OutboxEventType, RegistryEventPayload } from "@berth/queue";

/**
 * One consumer of outbox events (audit, webhooks, scan-on-push, replication). The fan-out calls
 * `handle` for every event whose type is in `types`; a subscriber that succeeded is not called
 * again when the fan-out job is retried for another's failure.
 */
export interface EventSubscriber {
  readonly name: string;
  readonly types: readonly OutboxEventType[];
  handle(event: SubscribedEvent, context: EventContext): Promise<void>;
}

/** An outbox event as its subscribers get it: the row, without the relay's bookkeeping. */
export type SubscribedEvent = Omit<OutboxEvent, "publishedAt">;

/** What the subscribers of one event share: reads made once for all of them. */
export interface EventContext {
  /** Project `name` (id and metadata), read once per event; null when there is none. */
  project(name: string): Promise<EventProject | null>;
}

export interface EventProject {
  id: number;
  metadata: Prisma.JsonValue;
}

/** A fresh context for one run of one event's fan-out. */
export function eventContext(db: PrismaClient): EventContext {
  const projects = new Map<string, Promise<EventProject | null>>();
  return {
    project(name) {
      let project = projects.get(name);
      if (!project) projects.set(name, (project = db.project.findUnique({ where: { name }, select: { id: true, metadata: true } })));
      return project;
    },
  };
}

/** The payload of registry events (`manifest.*`, `tag.*`), as registry-store writes it. */
export type RegistryEventData = RegistryEventPayload;

/** Reads a registry event's payload (throws on a malformed one). */
export function registryEventData(event: SubscribedEvent): RegistryEventData {
  const p = event.payload as Record<string, unknown> | null;
  if (!p || typeof p["repository"] !== "string" || typeof p["digest"] !== "string") throw new Error(`event ${event.eventId} (${event.type}) has no repository/digest`);
  return p as unknown as RegistryEventData;
}

/** The project (first path segment) of repository `name`. */
export function projectOf(repository: string): string {
  return repository.split("/")[0]!;
}
