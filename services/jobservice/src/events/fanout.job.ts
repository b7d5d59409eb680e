/** `event.fanout`: hands one outbox event to every subscriber interested in its type. */
import type { OutboxEvent, PrismaClient } from "@berth/db";
import { isOutboxEventType, UnrecoverableError, type Job, type JobData } from "@berth/queue";
import { eventContext, type EventSubscriber, type SubscribedEvent } from "./subscriber.js";

interface FanoutProgress {
  done?: string[];
}

export function fanoutHandler(deps: { db: PrismaClient; subscribers: readonly EventSubscriber[] }) {
  return async (job: Job<JobData<"event.fanout">>): Promise<{ delivered: string[] }> => {
    const event = await eventOf(deps.db, job.data);
    // A type no one defines (written by a newer version, or by hand) has no subscribers here.
    const type = isOutboxEventType(event.type) ? event.type : undefined;
    const done = new Set((job.progress as FanoutProgress | undefined)?.done ?? []);
    const context = eventContext(deps.db);
    const errors: string[] = [];
    for (const subscriber of deps.subscribers) {
      if (type === undefined || !subscriber.types.includes(type) || done.has(subscriber.name)) continue;
      try {
        await subscriber.handle(event, context);
        done.add(subscriber.name);
      } catch (err) {
        errors.push(`${subscriber.name}: ${(err as Error).message}`);
      }
    }
    // One subscriber's failure must not stop the others; the retry runs only the failed ones. A
    // run cut short (the process killed) runs every subscriber again: each is idempotent.
    if (errors.length) {
      await job.updateProgress({ done: [...done] } satisfies FanoutProgress);
      throw new Error(errors.join("; "));
    }
    return { delivered: [...done] };
  };
}

/** The event the job carries, or (a job an older relay queued) its outbox row. */
async function eventOf(db: PrismaClient, data: JobData<"event.fanout">): Promise<SubscribedEvent> {
  if (data.event) return { ...data.event, id: BigInt(data.event.id), eventId: data.eventId, payload: data.event.payload as OutboxEvent["payload"], createdAt: new Date(data.event.createdAt) };
  const event = await db.outboxEvent.findUnique({ where: { eventId: data.eventId } });
  if (!event) throw new UnrecoverableError(`outbox event ${data.eventId} does not exist`);
  return event;
}
