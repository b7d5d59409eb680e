import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { createProject, startTestJobservice, waitFor, writeEvent, type TestJobservice } from "../test-support.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"] && process.env["BERTH_TEST_REDIS_URL"]);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => (s.end(), resolve(true)));
        s.on("error", () => resolve(false));
      }),
    5_000,
    "redis-server",
  );
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

const push = (repository: string, tag: string, n: number) => ({ repository, digest: `sha256:${String(n).padStart(64, "0")}`, tag, mediaType: "application/vnd.oci.image.manifest.v1+json", size: 100, actor: "admin" });

describe("outbox relay", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let t: TestJobservice;
  before(async () => {
    t = await startTestJobservice({ start: false });
  });
  after(async () => t?.close());

  it("publishes rows in order with job id = event id, stamps them, and never publishes one twice", async () => {
    const ids = [await writeEvent(t.db, "manifest.pushed", push("library/a", "1", 1)), await writeEvent(t.db, "manifest.pushed", push("library/a", "2", 2)), await writeEvent(t.db, "tag.created", push("library/a", "2", 2))];
    assert.equal(await t.js.relay.publishPending(), 3);
    assert.equal(await t.js.relay.publishPending(), 0);
    const events = t.js.queues.queue("events");
    const jobs = await events.getJobs(["waiting", "prioritized", "delayed"]);
    assert.deepEqual(jobs.map((j) => j.id).sort(), [...ids].sort());
    assert.ok(jobs.every((j) => j.name === "event.fanout" && ids.includes(j.data.eventId)));
    // Each job carries its row, so the fan-out need not read it back.
    for (const row of await t.db.outboxEvent.findMany({ where: { eventId: { in: ids } } })) {
      const job = jobs.find((j) => j.id === row.eventId)!;
      assert.deepEqual(job.data.event, { id: String(row.id), type: row.type, payload: row.payload, createdAt: row.createdAt.toISOString() });
    }
    const unpublished = await t.db.outboxEvent.count({ where: { publishedAt: null } });
    assert.equal(unpublished, 0);
  });

  it("resumes after a crash between adding and stamping without adding a job twice", async () => {
    const before = await t.js.queues.queue("events").count();
    const id = await writeEvent(t.db, "manifest.pushed", push("library/b", "1", 3));
    assert.equal(await t.js.relay.publishPending(), 1);
    // The crash: the job was added, the stamp never committed.
    await t.db.outboxEvent.update({ where: { eventId: id }, data: { publishedAt: null } });
    assert.equal(await t.js.relay.publishPending(), 1, "the unstamped row is published again");
    assert.equal(await t.js.queues.queue("events").count(), before + 1, "BullMQ deduplicated the second add");
    assert.equal(await t.db.outboxEvent.count({ where: { publishedAt: null } }), 0);
  });
});

describe("outbox relay with Redis down, then back", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let t: TestJobservice;
  let redis: ChildProcess;
  let port: number;
  before(async () => {
    port = await freePort();
    redis = await startRedis(port);
    t = await startTestJobservice({ redisUrl: `redis://127.0.0.1:${port}` });
    await createProject(t.db, "library", true);
  });
  after(async () => {
    await t?.close();
    if (redis) await stopRedis(redis);
  });

  it("keeps events in the outbox while Redis is down and delivers them when it returns", async () => {
    const first = await writeEvent(t.db, "manifest.pushed", push("library/up", "1", 10));
    await waitFor(() => t.db.auditLog.count({ where: { resource: "library/up:1" } }), 10_000, "the first event's audit row");

    await stopRedis(redis);
    // Writers keep working: the push commits its event to the outbox.
    const during = [await writeEvent(t.db, "manifest.pushed", push("library/down", "1", 11)), await writeEvent(t.db, "manifest.deleted", push("library/down", "1", 11))];
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(await t.db.outboxEvent.count({ where: { eventId: { in: during }, publishedAt: null } }), 2, "events wait in the outbox");

    redis = await startRedis(port);
    await waitFor(async () => (await t.db.outboxEvent.count({ where: { eventId: { in: during }, publishedAt: null } })) === 0, 20_000, "the relay to publish after Redis returned");
    await waitFor(async () => (await t.db.auditLog.count({ where: { resource: "library/down:1" } })) === 2, 20_000, "the fan-out of the waiting events");
    const rows = await t.db.auditLog.findMany({ where: { resource: { startsWith: "library/" } }, orderBy: { id: "asc" } });
    // Fan-out workers run concurrently, so rows arrive in any order; each carries its event's time.
    assert.deepEqual(rows.map((r) => r.operation).sort(), ["create", "create", "delete"]);
    assert.ok(rows.every((r) => r.source === "registry" && r.operator === "admin" && r.operatorType === "user"));
    assert.ok(first);
  });
});
