// Replication never writes into a proxy cache project (real PostgreSQL, Redis and jobservice's
// replication.task worker): a pull task whose destination project became a proxy cache after the
// task was listed fails at once, for good (no retry), with a message naming the project, and
// nothing is written. Core refuses such a policy when its namespace names the project; this is
// the run-time guard for the rest (no namespace: the sources' projects).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ExecutionStore } from "@berth/executions";
import { REPLICATION_VENDOR_TYPE } from "@berth/replication";
import { createProject, startTestJobservice, waitFor, type TestJobservice } from "../test-support.js";
import { enqueueTasks } from "./execute.job.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"] && process.env["BERTH_TEST_REDIS_URL"]);

describe("replication into a proxy cache project", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let t: TestJobservice;

  before(async () => {
    // Three attempts allowed: the refusal must not use them.
    t = await startTestJobservice({ jobOptions: { "replication.task": { attempts: 3, backoff: { type: "fixed", delay: 100 } } } });
  });
  after(async () => t?.close());

  it("a pull task into a project that became a proxy cache fails for good, naming the project; nothing is written", async () => {
    // The source is never reached: the destination is checked first.
    const source = await t.db.registryEndpoint.create({ data: { name: "src", type: "docker-registry", url: "http://127.0.0.1:9" } });
    const projectId = await createProject(t.db, "mirror");
    const policy = await t.db.replicationPolicy.create({ data: { name: "pull-into-mirror", srcRegistryId: source.id, creator: "admin" } });
    const executionId = await ExecutionStore.create(t.db, { vendorType: REPLICATION_VENDOR_TYPE, vendorId: BigInt(policy.id), trigger: "MANUAL", extraAttrs: {} });
    const store = new ExecutionStore(t.db);
    const artifacts = [{ tags: ["1"] }];
    const [taskId] = await store.addTasks(executionId, [
      { policy_id: policy.id, operation: "copy", resource_type: "image", src_repository: "mirror/app", dst_repository: "mirror/app", artifacts, src_resource: "mirror/app:[1]", dst_resource: "mirror/app:[1]", bytes: 0 },
    ]);
    // Listed while an ordinary project; a proxy cache (of the same endpoint) before the task runs.
    await t.db.project.update({ where: { id: projectId }, data: { registryId: source.id } });
    await enqueueTasks({ queues: t.js.queues }, [taskId!]);

    const task = await waitFor(async () => {
      const row = await t.db.task.findUniqueOrThrow({ where: { id: taskId! } });
      return row.status === "Pending" || row.status === "Running" ? undefined : row;
    }, 30_000, "the task's end");
    assert.equal(task.status, "Error");
    assert.equal(task.statusMessage, "project mirror is a proxy cache (read-only): replication cannot write into it");
    assert.equal(task.runCount, 1, "not retried");
    assert.equal(await t.db.repository.count({ where: { name: "mirror/app" } }), 0, "nothing written");
  });
});
