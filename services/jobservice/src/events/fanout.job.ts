/** `event.fanout`: hands one outbox event to every subscriber interested in its type. */
import type { PrismaClient } from "@berth/db";
import { isOutboxEventType, UnrecoverableError, type Job } from "@berth/queue";
import type { EventSubscriber } from "./subscriber.js";

interface FanoutProgress {
  done?: string[];
}

export function fanoutHandler(deps: { db: PrismaClient; subscribers: readonly EventSubscriber[] }) {
  return async (job: Job<{ eventId: string }>): Promise<{ delivered: string[] }> => {
    const event = await deps.db.outboxEvent.findUnique({ where: { eventId: job.data.eventId } });
    if (!event) throw new UnrecoverableError(`outbox event ${job.data.eventId} does not exist`);
    // A type no one defines (written by a newer version, or by hand) has no subscribers here.
    const type = isOutboxEventType(event.type) ? event.type : undefined;
    const done = new Set((job.progress as FanoutProgress | undefined)?.done ?? []);
    const errors: string[] = [];
    for (const subscriber of deps.subscribers) {
      if (type === undefined || !subscriber.types.includes(type) || done.has(subscriber.name)) continue;
      try {
        await subscriber.handle(event);
        done.add(subscriber.name);
        await job.updateProgress({ done: [...done] } satisfies FanoutProgress);
      } catch (err) {
        errors.push(`${subscriber.name}: ${(err as Error).message}`);
      }
    }
    // One subscriber's failure must not stop the others; the retry runs only the failed ones.
    if (errors.length) throw new Error(errors.join("; "));
    return { delivered: [...done] };
  };
}
