// Garbage collection through jobservice against a real database, Redis and filesystem driver:
// a run created by registry-store's createGcRun (as core's API does) is only an outbox row;
// the relay and fan-out turn it into the gc.run job, which frees an unreferenced blob (file and
// row) and keeps referenced ones; a dry run frees nothing. Also: the schedule mirrored into a
// BullMQ job scheduler, and gc.scheduled creating and executing a run.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { blobDataPath, createGcRun } from "@berth/registry-store";
import { PathNotFoundError } from "@berth/storage";
import { createProject, startTestJobservice, waitFor, type TestJobservice } from "../test-support.js";
import { syncGcSchedule } from "./gc.jobs.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"] && process.env["BERTH_TEST_REDIS_URL"]);
const digestOf = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}` as never;

describe("gc.run through the outbox", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let t: TestJobservice;
  let kept: string[];
  let loose: string;

  const upload = async (repo: string, bytes: Buffer): Promise<string> => {
    const digest = digestOf(bytes);
    await t.registry.uploads.uploadMonolithic(repo, digest, (async function* () { yield bytes; })(), bytes.length);
    return digest;
  };
  const fileExists = (digest: string) => t.driver.stat(blobDataPath(digest as never)).then(() => true, (e: unknown) => (e instanceof PathNotFoundError ? false : Promise.reject(e)));
  const rowExists = async (digest: string) => (await t.db.blob.count({ where: { digest } })) > 0;
  const finished = (id: bigint) => waitFor(async () => {
    const run = await t.db.gcRun.findUniqueOrThrow({ where: { id } });
    return run.status === "Success" || run.status === "Error" ? run : undefined;
  }, 20_000, `gc run ${id}`);

  before(async () => {
    t = await startTestJobservice();
    await createProject(t.db, "gc");
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const layer = Buffer.from("a referenced layer");
    kept = [await upload("gc/app", config), await upload("gc/app", layer)];
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: kept[0], size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: kept[1], size: layer.length }],
    }));
    await t.registry.manifests.put("gc/app", { kind: "tag", tag: "1.0" } as never, manifest, "application/vnd.oci.image.manifest.v1+json");
    loose = await upload("gc/app", Buffer.from("an unreferenced blob"));
    // Everything is older than the runs' 1-hour window.
    await t.db.$executeRaw`UPDATE blobs SET updated_at = updated_at - interval '3 hours'`;
    await t.db.$executeRaw`UPDATE repository_blobs SET created_at = created_at - interval '3 hours'`;
    await t.db.$executeRaw`UPDATE manifests SET pushed_at = pushed_at - interval '3 hours'`;
  });
  after(async () => t?.close());

  it("a dry run reports the unreferenced blob and frees nothing", async () => {
    const id = await createGcRun(t.db, { dryRun: true, timeWindowHours: 1 }, "Manual");
    const run = await finished(id);
    assert.equal(run.status, "Success", run.log);
    assert.equal((run.report as { dryRun: boolean }).dryRun, true);
    assert.match(run.log, new RegExp(loose.slice(7, 20)));
    for (const d of [...kept, loose]) {
      assert.ok(await fileExists(d), `file of ${d}`);
      assert.ok(await rowExists(d), `row of ${d}`);
    }
    const job = await t.js.queues.queue("gc").getJob(`gc-${id}`);
    assert.equal(job?.name, "gc.run");
  });

  it("a requested run frees the unreferenced blob (file and row) and keeps the referenced ones", async () => {
    const id = await createGcRun(t.db, { timeWindowHours: 1, workers: 2 }, "Manual");
    const run = await finished(id);
    assert.equal(run.status, "Success", run.log);
    assert.equal(run.freedBlobs, 1);
    assert.equal(Number(run.freedBytes), "an unreferenced blob".length);
    assert.equal(await fileExists(loose), false);
    assert.equal(await rowExists(loose), false);
    for (const d of kept) {
      assert.ok(await fileExists(d), `file of ${d}`);
      assert.ok(await rowExists(d), `row of ${d}`);
    }
    assert.ok(run.startedAt && run.finishedAt);
  });

  it("a gc.run job for a run that does not exist or is not Pending fails without retries", async () => {
    const done = await t.db.gcRun.findFirstOrThrow({ where: { status: "Success" } });
    for (const runId of ["987654", String(done.id)]) {
      const job = await t.js.queues.enqueue("gc.run", { runId }, { jobId: `gc-test-${runId}` });
      const state = await waitFor(async () => {
        const s = await job.getState();
        return s === "failed" || s === "completed" ? s : undefined;
      }, 10_000, "gc.run job");
      assert.equal(state, "failed");
      const failed = await t.js.queues.queue("gc").getJob(job.id!);
      assert.match(failed!.failedReason, runId === "987654" ? /does not exist/ : /not Pending/);
      assert.equal(failed!.attemptsMade, 1);
    }
  });

  it("mirrors the schedule into a job scheduler and runs scheduled GCs with the stored parameters", async () => {
    const scheduler = () => t.js.queues.scheduler("gc.scheduled");
    await t.db.systemSchedule.create({ data: { kind: "gc", type: "Custom", cron: "0 30 2 * * 1", parameters: { delete_untagged: false, dry_run: true, workers: 2, time_window: 1 } } });
    await t.db.outboxEvent.create({ data: { type: "gc.schedule.changed", payload: { kind: "gc" } } });
    const s = await waitFor(async () => {
      const found = await scheduler();
      return found?.pattern === "0 30 2 * * 1" ? found : undefined;
    }, 30_000, "job scheduler");
    assert.equal(s.tz, "UTC");

    const job = await t.js.queues.enqueue("gc.scheduled", {});
    const result = await waitFor(async () => (await t.js.queues.queue("gc").getJob(job.id!))?.returnvalue as { runId?: string } | undefined, 10_000, "gc.scheduled");
    assert.ok(result.runId);
    const run = await finished(BigInt(result.runId));
    assert.equal(run.status, "Success", run.log);
    assert.equal(run.trigger, "Schedule");
    assert.equal(run.dryRun, true);
    assert.equal(run.workers, 2);

    await t.db.systemSchedule.update({ where: { kind: "gc" }, data: { type: "None", cron: "" } });
    await t.db.outboxEvent.create({ data: { type: "gc.schedule.changed", payload: { kind: "gc" } } });
    await waitFor(async () => !(await scheduler()), 10_000, "scheduler removed");
  });

  it("refuses to schedule a stored cron the validator rejects, and removes the previous scheduler", async () => {
    const scheduler = () => t.js.queues.scheduler("gc.scheduled");
    await t.db.systemSchedule.upsert({ where: { kind: "gc" }, create: { kind: "gc", type: "Custom", cron: "0 0 3 * * *", parameters: {} }, update: { type: "Custom", cron: "0 0 3 * * *" } });
    assert.deepEqual(await syncGcSchedule(t.db, t.js.queues), { cron: "0 0 3 * * *" });
    assert.equal((await scheduler())?.pattern, "0 0 3 * * *");
    // Six fields, but 30 February never comes: written before core validated crons.
    await t.db.systemSchedule.update({ where: { kind: "gc" }, data: { cron: "0 0 0 30 2 *" } });
    const result = await syncGcSchedule(t.db, t.js.queues);
    assert.equal(result.cron, null);
    assert.match(result.invalid ?? "", /invalid cron "0 0 0 30 2 \*": .*day of month/);
    assert.equal(await scheduler(), undefined);
    // Through the outbox too: the fan-out succeeds (nothing left to retry) and nothing is scheduled.
    const event = await t.db.outboxEvent.create({ data: { type: "gc.schedule.changed", payload: { kind: "gc" } } });
    // The fan-out job's id is the event's id; a failing subscriber would leave it retrying, not completed.
    const fanout = await waitFor(async () => {
      const job = await t.js.queues.queue("events").getJob(event.eventId);
      return job && (await job.getState()) === "completed" ? job : undefined;
    }, 30_000, "fan-out completed");
    assert.deepEqual(fanout.returnvalue, { delivered: ["gc-schedule"] });
    assert.equal(await scheduler(), undefined);
  });
});
