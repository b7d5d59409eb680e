/**
 * The outbox relay: moves committed `outbox_events` rows into BullMQ (`event.fanout`, job id =
 * the event's id, so BullMQ drops a second add of the same event; the job carries the row, which
 * never changes) and then stamps
 * `published_at`. A crash between the two leaves rows unstamped; the next pass adds them again
 * and the job id makes that a no-op. With Redis down the relay waits and retries: writers are
 * unaffected and events wait in the outbox.
 */
import type { OutboxEvent, PrismaClient } from "@berth/db";
import { settlesWithin } from "@berth/http";
import type { Logger } from "@berth/logger";
import type { QueuedOutboxEvent, Queues } from "@berth/queue";

export interface OutboxRelayOptions {
  db: PrismaClient;
  queues: Queues;
  logger: Logger;
  /** Whether the queue connection can take commands now (e.g. `redis.status === "ready"`). */
  queueReady: () => boolean;
  /** Idle wait between passes (ms). */
  pollIntervalMs?: number;
  /** Rows per pass. */
  batchSize?: number;
  /** Longest wait after a failure (ms); waits grow from `pollIntervalMs`. */
  maxBackoffMs?: number;
}

/** Publishes the outbox; `start()` runs the loop, `publishPending()` one drain (tests, the sweep job). */
export class OutboxRelay {
  readonly #o: Required<Omit<OutboxRelayOptions, "logger">> & { log: Logger };
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #draining: Promise<number> | undefined;
  #failing = false;

  constructor(options: OutboxRelayOptions) {
    this.#o = {
      pollIntervalMs: 250,
      batchSize: 200,
      maxBackoffMs: 5_000,
      ...options,
      log: options.logger.child({ module: "outbox-relay" }),
    };
  }

  /** Starts the loop (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /**
   * Stops the loop after the current pass, waiting for it up to `waitMs`. A pass cut short is
   * harmless: its rows stay unstamped and the next relay adds them again (the job id dedupes).
   */
  async stop(waitMs = 1_000): Promise<void> {
    this.#running = false;
    this.#wake?.();
    if (this.#loop) await settlesWithin(this.#loop, waitMs);
  }

  /** Ends the current wait early (e.g. on a NOTIFY or a sweep). */
  wake(): void {
    this.#wake?.();
  }

  /** Publishes every pending row; returns how many. Concurrent calls share one drain. */
  publishPending(): Promise<number> {
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
    return this.#draining;
  }

  async #run(): Promise<void> {
    let backoff = this.#o.pollIntervalMs;
    while (this.#running) {
      try {
        await this.publishPending();
        if (this.#failing) this.#o.log.info("outbox relay publishing again");
        this.#failing = false;
        backoff = this.#o.pollIntervalMs;
        await this.#sleep(this.#o.pollIntervalMs);
      } catch (err) {
        if (!this.#failing) this.#o.log.warn("outbox relay cannot publish; events wait in the outbox and are retried", { err: (err as Error).message });
        this.#failing = true;
        await this.#sleep(backoff);
        backoff = Math.min(backoff * 2, this.#o.maxBackoffMs);
      }
    }
  }

  async #drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.#publishBatch();
      total += n;
      if (n < this.#o.batchSize) return total;
    }
  }

  async #publishBatch(): Promise<number> {
    const { db, queues, batchSize } = this.#o;
    const rows = await db.outboxEvent.findMany({
      where: { publishedAt: null },
      orderBy: { id: "asc" },
      take: batchSize,
      select: { id: true, eventId: true, type: true, payload: true, createdAt: true },
    });
    if (rows.length === 0) return 0;
    // Fail fast rather than queue commands in ioredis' offline queue while Redis is down.
    if (!this.#o.queueReady()) throw new Error("the queue's Redis connection is not ready");
    await withTimeout(
      queues.enqueueBulk("event.fanout", rows.map((r) => ({ data: { eventId: r.eventId, event: queued(r) }, options: { jobId: r.eventId } }))),
      10_000,
      "adding events to the queue timed out",
    );
    await db.outboxEvent.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { publishedAt: new Date() } });
    return rows.length;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/** The row as its fan-out job carries it (the row never changes, so the fan-out need not read it back). */
function queued(r: Pick<OutboxEvent, "id" | "type" | "payload" | "createdAt">): QueuedOutboxEvent {
  return { id: String(r.id), type: r.type, payload: r.payload, createdAt: r.createdAt.toISOString() };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer));
}
