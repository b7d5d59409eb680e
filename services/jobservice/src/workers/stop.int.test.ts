// SIGTERM to a jobservice process with a job running: it exits 0 in bounded time, whether Redis
// stays up (the job is left to BullMQ's stalled-job recovery and delivered by another process) or
// stops at the same moment — what a supervisor that signals every process at once does
// (systemd's control-group kill, a terminal's process group): Redis saves and exits while the
// jobservice still has a job to record.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createPrismaClient, type PrismaClient } from "@berth/db";
import { createTestDatabase, type TestDatabase } from "@berth/db/testing";
import { startPrivateRedis, type PrivateRedis } from "@berth/redis/testing";
import { dataKeyPath, ensureDataKey } from "@berth/secrets";
import { createPolicy, createProject, startJobserviceProcess, startReceiver, testUrls, waitFor, writeEvent, type JobserviceProcess, type Receiver } from "../test-support.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"] && process.env["BERTH_TEST_REDIS_URL"]);
const DIGEST = `sha256:${"cd".repeat(32)}`;
/** Far longer than the stop's drain: the process must not wait for it. */
const WEBHOOK_TIMEOUT_MS = 120_000;

describe("stopping a jobservice process with a job running", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL", timeout: 180_000 }, () => {
  let testDb: TestDatabase;
  let db: PrismaClient;
  let dataDir: string;
  let receiver: Receiver;
  let projectId: number;
  const started: JobserviceProcess[] = [];
  /** While set, deliveries hang (a receiver that never answers). */
  let hanging = true;
  const prefix = `berth-stop-${randomUUID()}`;
  const redises: PrivateRedis[] = [];

  before(async () => {
    testDb = await createTestDatabase(testUrls().pg);
    db = createPrismaClient(testDb.url, { poolSize: 3 });
    dataDir = await mkdtemp(join(tmpdir(), "berth-js-stop-"));
    ensureDataKey(dataKeyPath(dataDir));
    receiver = await startReceiver((_req, res) => (hanging ? undefined : res.end("ok")));
    projectId = await createProject(db, "stopping", false);
    await db.repository.create({ data: { name: "stopping/app" } });
    await createPolicy(db, projectId, [{ address: `${receiver.url}/hook` }]);
  });

  after(async () => {
    for (const p of started) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill("SIGKILL");
    await receiver?.close();
    for (const r of redises) await r.stop();
    await db?.$disconnect();
    await testDb?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const start = async (redis: PrivateRedis) =>
    started[started.push(
      await startJobserviceProcess({
        BERTH_HOST: "127.0.0.1",
        BERTH_DATABASE_URL: testDb.url,
        BERTH_REDIS_URL: redis.url,
        BERTH_QUEUE_PREFIX: prefix,
        BERTH_DATA_DIR: dataDir,
        BERTH_QUEUE_LOCK_SECONDS: "2",
        BERTH_RELAY_POLL_MS: "50",
        BERTH_WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
      }),
    ) - 1]!;

  const push = (tag: string) => writeEvent(db, "manifest.pushed", { repository: "stopping/app", digest: DIGEST, tag, mediaType: "application/vnd.oci.image.manifest.v1+json", size: 10, actor: "admin" });

  /** SIGTERM, then how it ended — or a failure naming its last lines if it is still running after `ms`. */
  const terminate = async (p: JobserviceProcess, ms = 30_000) => {
    p.proc.kill("SIGTERM");
    const exit = await Promise.race([p.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);
    assert.ok(exit, `still running ${ms} ms after SIGTERM:\n${p.lines.slice(-15).join("\n")}`);
    return exit;
  };

  it("exits 0 when Redis stops at the same moment", async () => {
    const redis = await startPrivateRedis();
    redises.push(redis);
    const js = await start(redis);
    await push("1");
    await waitFor(() => receiver.requests.length === 1, 20_000, "the delivery job to be running");
    // Both at once, as a control-group kill delivers it.
    const redisStopped = redis.stop();
    const exit = await terminate(js);
    await redisStopped;
    assert.deepEqual(exit, { code: 0, signal: null }, js.lines.slice(-15).join("\n"));
  });

  it("exits 0 with Redis up, and the job it left is delivered by the next process", async () => {
    const redis = await startPrivateRedis();
    redises.push(redis);
    const first = await start(redis);
    const before = receiver.requests.length;
    await push("2");
    await waitFor(() => receiver.requests.length === before + 1, 20_000, "the delivery job to be running");
    const exit = await terminate(first);
    assert.deepEqual(exit, { code: 0, signal: null }, first.lines.slice(-15).join("\n"));
    assert.ok(first.lines.some((l) => l.includes("jobs left running run again")), first.lines.slice(-15).join("\n"));

    hanging = false;
    await start(redis);
    await waitFor(() => receiver.requests.length >= before + 2, 60_000, "the left job to be delivered by the next process");
  });
});
