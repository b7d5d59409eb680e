// Two jobservice processes on one PostgreSQL and one Redis (as `docker compose up --scale
// jobservice=2` runs them), and BullMQ redelivering a stalled job: the worker running it is
// paused with SIGSTOP — its process alive, its job lock in Redis expiring — so the job goes to
// the other replica. The effect must still be applied once: the webhook is delivered once, the
// garbage collection sweeps once and never beside itself, the audit row is written once.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { dataKeyPath, ensureDataKey } from "@berth/secrets";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type http from "node:http";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { createPrismaClient, type PrismaClient } from "@berth/db";
import { createTestDatabase, type TestDatabase } from "@berth/db/testing";
import { Queues } from "@berth/queue";
import { closeRedis, createRedisClient, type Redis } from "@berth/redis";
import { createGcRun, createRegistryStore, type RegistryStore } from "@berth/registry-store";
import { FilesystemDriver } from "@berth/storage";
import { SessionLocks } from "./executions/session-locks.js";
import { createPolicy, createProject, silentLogger, startJobserviceProcess as startReplica, startReceiver, testUrls, waitFor, writeEvent, type JobserviceProcess as Replica, type Receiver } from "./test-support.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"] && process.env["BERTH_TEST_REDIS_URL"]);
/** BullMQ's job lock for these processes: a paused worker's job is redelivered within seconds. */
const LOCK_SECONDS = 2;

describe("two jobservice replicas and a redelivered stalled job", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL", timeout: 240_000 }, () => {
  let testDb: TestDatabase;
  let db: PrismaClient;
  let redis: Redis;
  let queues: Queues;
  let dataDir: string;
  let registry: RegistryStore;
  const replicas: Replica[] = [];
  const prefix = `berth-replicas-${randomUUID()}`;

  before(async () => {
    const urls = testUrls();
    testDb = await createTestDatabase(urls.pg);
    db = createPrismaClient(testDb.url, { poolSize: 5 });
    redis = createRedisClient(urls.redis, silentLogger(), { forQueues: true });
    queues = new Queues({ connection: redis, prefix });
    dataDir = await mkdtemp(join(tmpdir(), "berth-replicas-"));
    // What the launcher (or compose's prepare) does on the first start.
    ensureDataKey(dataKeyPath(dataDir));
    registry = createRegistryStore({ db, driver: new FilesystemDriver({ rootDirectory: join(dataDir, "registry") }) });
    const env = {
      BERTH_HOST: "127.0.0.1",
      BERTH_DATABASE_URL: testDb.url,
      BERTH_REDIS_URL: urls.redis,
      BERTH_QUEUE_PREFIX: prefix,
      BERTH_DATA_DIR: dataDir,
      BERTH_QUEUE_LOCK_SECONDS: String(LOCK_SECONDS),
      BERTH_RELAY_POLL_MS: "50",
      BERTH_LOG_LEVEL: "info",
    };
    replicas.push(await startReplica(env), await startReplica(env));
  });

  after(async () => {
    for (const r of replicas) {
      if (r.proc.exitCode !== null || r.proc.signalCode !== null) continue;
      r.proc.kill("SIGCONT");
      r.proc.kill("SIGTERM");
      const exited = new Promise((resolve) => r.proc.once("exit", resolve));
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGKILL");
    }
    await registry?.close();
    await queues?.close();
    if (redis) await closeRedis(redis);
    await db?.$disconnect();
    await testDb?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** The replica BullMQ says processed `job` last (its worker name ends in the pid). */
  const processor = (processedBy: string | undefined) => replicas.find((r) => processedBy?.endsWith(`:${r.pid}`));
  const pause = (r: Replica) => {
    r.proc.kill("SIGSTOP");
    r.stopped = true;
  };
  const resume = (r: Replica) => {
    r.proc.kill("SIGCONT");
    r.stopped = false;
  };

  it("a webhook is delivered once: the replica the job goes to waits for the paused one", async () => {
    let hold: http.ServerResponse | undefined;
    const receiver: Receiver = await startReceiver((_req, res, n) => {
      if (n === 1) hold = res; // the first delivery gets no answer until its sender is paused
      else res.end("ok");
    });
    try {
      const projectId = await createProject(db, "hooks");
      const policyId = await createPolicy(db, projectId, [{ address: `${receiver.url}/hook` }]);
      const eventId = await writeEvent(db, "manifest.pushed", { repository: "hooks/app", digest: `sha256:${"cd".repeat(32)}`, tag: "1.0", actor: "alice" });
      await waitFor(() => hold, 20_000, "the first delivery");
      const task = await db.task.findFirstOrThrow({ where: { execution: { vendorId: policyId } } });
      const jobId = `task-${task.id}`;
      const job = await queues.queue("webhooks").getJob(jobId);
      const first = processor(job?.processedBy);
      assert.ok(first, `a replica runs ${jobId} (processedBy ${job?.processedBy})`);
      const other = replicas.find((r) => r !== first)!;

      pause(first);
      hold!.end("ok"); // it arrives, but the paused sender cannot record it
      // BullMQ sees the lock expire and hands the job to the other replica, which must not send it again.
      const taken = await waitFor(async () => {
        assert.equal(receiver.requests.length, 1, "the other replica sent the webhook again");
        const j = await queues.queue("webhooks").getJob(jobId);
        return processor(j?.processedBy) === other && (j?.attemptsMade ?? 0) >= 2 ? j : undefined;
      }, 30_000, "the other replica to take the stalled job (twice)");
      assert.match(taken.failedReason ?? "", /being delivered by another worker/);
      assert.equal(receiver.requests.length, 1, "no second delivery while the first sender is paused");

      resume(first);
      const done = await waitFor(async () => {
        const t = await db.task.findUniqueOrThrow({ where: { id: task.id } });
        return t.status === "Success" ? t : undefined;
      }, 30_000, "the paused sender to record its delivery");
      assert.equal(done.runCount, 1);
      // The job's next retry finds the task finished and completes without sending.
      await waitFor(async () => ((await queues.queue("webhooks").getJob(jobId))?.finishedOn ? true : undefined), 60_000, "the job to finish");
      assert.equal(receiver.requests.length, 1, "delivered exactly once");
      assert.equal(await db.auditLog.count({ where: { eventId } }), 1, "one audit row for the event");
    } finally {
      for (const r of replicas) if (r.stopped) resume(r);
      await receiver.close();
    }
  });

  it("garbage collection sweeps once: the redelivered job does not start a second sweep", async () => {
    await createProject(db, "gc");
    const loose: string[] = [];
    for (let i = 0; i < 1500; i += 50) {
      loose.push(
        ...(await Promise.all(
          Array.from({ length: 50 }, async (_, j) => {
            const bytes = Buffer.from(`unreferenced blob ${i + j} ${randomUUID()}`);
            const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
            await registry.uploads.uploadMonolithic("gc/app", digest as never, (async function* () { yield bytes; })(), bytes.length);
            return digest;
          }),
        )),
      );
    }
    // The uploads are links nothing references: old enough for a 1-hour window, they are garbage.
    await db.$executeRaw`UPDATE blobs SET updated_at = updated_at - interval '3 hours'`;
    await db.$executeRaw`UPDATE repository_blobs SET created_at = created_at - interval '3 hours'`;
    const runId = await createGcRun(db, { timeWindowHours: 1 }, "Manual");
    const jobId = `gc-${runId}`;
    await waitFor(async () => (await db.gcRun.findUniqueOrThrow({ where: { id: runId } })).status === "Running", 30_000, "the run to start");
    const sweeper = processor((await queues.queue("gc").getJob(jobId))?.processedBy);
    assert.ok(sweeper, "a replica runs the sweep");
    const other = replicas.find((r) => r !== sweeper)!;
    pause(sweeper);
    try {
      const taken = await waitFor(async () => {
        const j = await queues.queue("gc").getJob(jobId);
        return processor(j?.processedBy) === other && j?.finishedOn ? j : undefined;
      }, 30_000, "the other replica to take the stalled gc.run job");
      assert.match(taken.failedReason ?? "", /is Running, not Pending/);
      assert.equal((await db.gcRun.findUniqueOrThrow({ where: { id: runId } })).status, "Running", "the paused sweep's run is untouched");
    } finally {
      resume(sweeper);
    }
    const run = await waitFor(async () => {
      const r = await db.gcRun.findUniqueOrThrow({ where: { id: runId } });
      return r.status === "Success" || r.status === "Error" ? r : undefined;
    }, 120_000, "the sweep to finish");
    assert.equal(run.status, "Success", run.log);
    assert.equal(await db.blob.count({ where: { digest: { in: loose } } }), 0, "every unreferenced blob is gone");
    const started = replicas.flatMap((r) => r.lines).filter((l) => l.includes('"garbage collection started"') && l.includes(`"runId":"${runId}"`));
    assert.equal(started.length, 1, `one sweep started: ${started.join("\n")}`);
  });

  it("a session lock is held by a paused holder and freed when the holder dies", async () => {
    const locks = new SessionLocks(testDb.url, { max: 2 });
    const module = fileURLToPath(new URL("./executions/session-locks.js", import.meta.url));
    const holder = spawn(
      process.execPath,
      ["--input-type=module", "-e", `const { SessionLocks } = await import(${JSON.stringify(module)}); const l = new SessionLocks(${JSON.stringify(testDb.url)}); if (await l.tryLock("task", 424242n)) console.log("held"); setInterval(() => {}, 1000);`],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      let out = "";
      holder.stdout!.on("data", (d: Buffer) => (out += d.toString()));
      await waitFor(() => out.includes("held"), 20_000, "the other process to take the lock");
      assert.equal(await locks.tryLock("task", 424242n), undefined, "held while its holder runs");
      holder.kill("SIGSTOP");
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(await locks.tryLock("task", 424242n), undefined, "still held while its holder is paused");
      holder.kill("SIGKILL");
      const mine = await waitFor(() => locks.tryLock("task", 424242n), 20_000, "the lock to be freed with the dead holder's session");
      await mine.release();
    } finally {
      holder.kill("SIGKILL");
      await locks.close();
    }
  });
});
