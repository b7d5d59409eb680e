import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { OutboxEvent, PrismaClient } from "@berth/db";
import { UnrecoverableError, type Job, type JobData, type OutboxEventType } from "@berth/queue";
import { fanoutHandler } from "./fanout.job.js";
import type { EventSubscriber, SubscribedEvent } from "./subscriber.js";

const EVENT_ID = "3f0c2a55-0d7e-4a8a-9a53-6f1b7d0c1e11";
const ROW: OutboxEvent = {
  id: 42n,
  eventId: EVENT_ID,
  type: "manifest.pushed",
  payload: { repository: "lib/app", digest: "sha256:" + "a".repeat(64), tag: "v1" },
  createdAt: new Date("2026-12-05T01:02:03.004Z"),
  publishedAt: null,
};
/** The row as the carried job gives it to subscribers (no relay bookkeeping). */
const { publishedAt: _published, ...EVENT } = ROW;

/** A database that counts its reads: the outbox row and project `lib`. */
function database() {
  const reads = { outbox: 0, project: 0 };
  const db = {
    outboxEvent: { findUnique: async ({ where }: { where: { eventId: string } }) => (reads.outbox++, where.eventId === EVENT_ID ? ROW : null) },
    project: { findUnique: async ({ where }: { where: { name: string } }) => (reads.project++, where.name === "lib" ? { id: 7, metadata: { auto_scan: "true" } } : null) },
  };
  return { db: db as unknown as PrismaClient, reads };
}

/** The part of a BullMQ job the fan-out uses; progress survives between runs, as BullMQ keeps it. */
function job(data: JobData<"event.fanout">) {
  const writes: unknown[] = [];
  const j = {
    data,
    progress: 0 as unknown,
    async updateProgress(p: unknown) {
      writes.push(p);
      j.progress = p;
    },
  };
  return { job: j as unknown as Job<JobData<"event.fanout">>, writes };
}

function subscriber(name: string, types: OutboxEventType[], run: EventSubscriber["handle"]): EventSubscriber & { calls: number } {
  const s = {
    name,
    types,
    calls: 0,
    async handle(...args: Parameters<EventSubscriber["handle"]>) {
      s.calls++;
      return run(...args);
    },
  };
  return s;
}

const carried: JobData<"event.fanout"> = { eventId: EVENT_ID, event: { id: "42", type: ROW.type, payload: ROW.payload, createdAt: ROW.createdAt.toISOString() } };

describe("event.fanout", () => {
  it("hands the carried event to its subscribers without reading the row, and reads the project once for all of them", async () => {
    const { db, reads } = database();
    const seen: SubscribedEvent[] = [];
    const projects: unknown[] = [];
    const wants = (name: string) =>
      subscriber(name, ["manifest.pushed"], async (event, context) => {
        seen.push(event);
        projects.push(await context.project("lib"));
      });
    const other = subscriber("other", ["tag.deleted"], async () => {});
    const subscribers = [wants("audit"), wants("webhooks"), wants("scan-on-push"), other];
    const { job: j, writes } = job(carried);
    assert.deepEqual(await fanoutHandler({ db, subscribers })(j), { delivered: ["audit", "webhooks", "scan-on-push"] });
    assert.deepEqual(reads, { outbox: 0, project: 1 });
    assert.equal(other.calls, 0);
    for (const event of seen) assert.deepEqual(event, EVENT, "the row as subscribers get it, nothing made up");
    for (const project of projects) assert.deepEqual(project, { id: 7, metadata: { auto_scan: "true" } });
    assert.deepEqual(writes, [], "a fan-out that succeeds writes no progress");
  });

  it("keeps what succeeded when one subscriber fails, and its retry runs only the failed one", async () => {
    const { db } = database();
    let failing = true;
    const audit = subscriber("audit", ["manifest.pushed"], async () => {});
    const webhooks = subscriber("webhooks", ["manifest.pushed"], async () => {
      if (failing) throw new Error("database unavailable");
    });
    const scan = subscriber("scan-on-push", ["manifest.pushed"], async () => {});
    const handler = fanoutHandler({ db, subscribers: [audit, webhooks, scan] });
    const { job: j, writes } = job(carried);
    await assert.rejects(handler(j), /webhooks: database unavailable/);
    assert.deepEqual(writes, [{ done: ["audit", "scan-on-push"] }]);
    failing = false;
    assert.deepEqual(await handler(j), { delivered: ["audit", "scan-on-push", "webhooks"] });
    assert.deepEqual([audit.calls, webhooks.calls, scan.calls], [1, 2, 1]);
  });

  it("reads the row of a job queued without the event, and gives up on a row that is gone", async () => {
    const { db, reads } = database();
    const seen: SubscribedEvent[] = [];
    const handler = fanoutHandler({ db, subscribers: [subscriber("audit", ["manifest.pushed"], async (event) => void seen.push(event))] });
    await handler(job({ eventId: EVENT_ID }).job);
    assert.deepEqual(seen, [ROW]);
    assert.equal(reads.outbox, 1);
    await assert.rejects(handler(job({ eventId: "00000000-0000-4000-8000-000000000000" }).job), (err) => err instanceof UnrecoverableError);
  });
});
