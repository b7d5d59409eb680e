import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createPolicy, createProject, startReceiver, startTestJobservice, waitFor, writeEvent, type Receiver, type TestJobservice } from "../test-support.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"] && process.env["BERTH_TEST_REDIS_URL"]);
const DIGEST = `sha256:${"ab".repeat(32)}`;
const pushed = (repository: string, tag = "1.0") => ({ repository, digest: DIGEST, tag, mediaType: "application/vnd.oci.image.manifest.v1+json", size: 1234, actor: "alice" });

async function tasksOf(t: TestJobservice, policyId: bigint) {
  return t.db.task.findMany({ where: { execution: { vendorId: policyId } }, orderBy: { id: "asc" }, include: { execution: true } });
}

async function finished(t: TestJobservice, policyId: bigint, count: number) {
  return waitFor(
    async () => {
      const tasks = await tasksOf(t, policyId);
      return tasks.length === count && tasks.every((x) => ["Success", "Error", "Stopped"].includes(x.status)) ? tasks : undefined;
    },
    20_000,
    `policy ${policyId}'s ${count} tasks to finish`,
  );
}

describe("webhook delivery", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let t: TestJobservice;
  let receiver: Receiver;
  let projectId: number;
  before(async () => {
    t = await startTestJobservice();
    receiver = await startReceiver();
    projectId = await createProject(t.db, "formats", false);
    await t.db.repository.create({ data: { name: "formats/app", createdAt: new Date("2026-01-02T03:04:05Z") } });
  });
  after(async () => {
    await receiver?.close();
    await t?.close();
  });

  it("sends each payload format as Harbor (and Docker Hub) do, signed when the target has a secret", async () => {
    const policyId = await createPolicy(t.db, projectId, [
      { address: `${receiver.url}/default`, payload_format: "Default", secret: "s3cret", auth_header: "Bearer abc" },
      { address: `${receiver.url}/cloudevents`, payload_format: "CloudEvents" },
      { address: `${receiver.url}/dockerhub`, payload_format: "DockerHub" },
      { address: `${receiver.url}/slack`, type: "slack" },
    ]);
    const eventId = await writeEvent(t.db, "manifest.pushed", pushed("formats/app"));
    const tasks = await finished(t, policyId, 4);
    assert.ok(tasks.every((x) => x.status === "Success" && x.runCount === 1), JSON.stringify(tasks.map((x) => [x.status, x.log])));
    const execution = await waitFor(() => t.db.execution.findFirst({ where: { vendorId: policyId, endTime: { not: null } } }), 5_000, "the execution to end");
    assert.equal(execution.status, "Success");
    const by = (path: string) => receiver.requests.find((r) => r.url === path)!;

    const def = by("/default");
    assert.equal(def.headers["content-type"], "application/json");
    assert.equal(def.headers["authorization"], "Bearer abc");
    assert.equal(def.headers["x-berth-event-id"], eventId);
    const expected = `sha256=${createHmac("sha256", "s3cret").update(def.body).digest("hex")}`;
    assert.equal(def.headers["x-berth-signature"], expected, "the receiver verifies the HMAC of the exact body");
    const d = JSON.parse(def.body);
    assert.equal(d.type, "PUSH_ARTIFACT");
    assert.equal(typeof d.occur_at, "number");
    assert.equal(d.operator, "alice");
    assert.deepEqual(d.event_data.resources, [{ digest: DIGEST, tag: "1.0", resource_url: "registry.test:8080/formats/app:1.0" }]);
    assert.deepEqual(d.event_data.repository, { date_created: 1767323045, name: "app", namespace: "formats", repo_full_name: "formats/app", repo_type: "private" });

    const ce = by("/cloudevents");
    assert.equal(ce.headers["content-type"], "application/cloudevents+json");
    assert.equal(ce.headers["x-berth-signature"], undefined);
    const c = JSON.parse(ce.body);
    assert.equal(c.specversion, "1.0");
    assert.equal(c.id, eventId);
    assert.equal(c.type, "harbor.artifact.pushed");
    assert.equal(c.source, `/projects/${projectId}/webhook/policies/${policyId}`);
    assert.equal(c.datacontenttype, "application/json");
    assert.match(c.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(c.operator, "alice");
    assert.deepEqual(c.data, d.event_data);

    const dh = JSON.parse(by("/dockerhub").body);
    // Every field the Jenkins dockerhub-notification plugin reads, plus Docker Hub's others.
    assert.match(dh.callback_url, /^http:\/\/registry\.test:8080\/api\/v2\.0\/webhook-callbacks\/[A-Za-z0-9_-]{40,}$/);
    assert.equal(dh.repository.repo_name, "registry.test:8080/formats/app");
    assert.equal(typeof dh.push_data.pushed_at, "number");
    assert.equal(dh.push_data.pusher, "alice");
    assert.equal(dh.push_data.tag, "1.0");
    assert.deepEqual(dh.push_data.images, [DIGEST]);
    for (const [key, value] of Object.entries({ name: "app", namespace: "formats", owner: "formats", is_private: true, status: "Active", star_count: 0, comment_count: 0, is_official: false, is_trusted: false, description: "", date_created: 1767323045 })) {
      assert.deepEqual(dh.repository[key], value, `repository.${key}`);
    }
    assert.match(dh.repository.repo_url, /^http:\/\/registry\.test:8080\//);
    assert.equal(await t.db.webhookCallback.count({ where: { repository: "formats/app", digest: DIGEST } }), 1);

    const slack = JSON.parse(by("/slack").body);
    assert.match(slack.text, /PUSH_ARTIFACT/);
    assert.ok(Array.isArray(slack.blocks) && slack.blocks.some((b: { text: { text: string } }) => b.text.text.includes("formats/app")));
  });

  it("does not send pulls to DockerHub-format targets, and delivers pulls and deletes to Default ones", async () => {
    const policyId = await createPolicy(t.db, projectId, [{ address: `${receiver.url}/pulls`, payload_format: "Default" }, { address: `${receiver.url}/dh-pulls`, payload_format: "DockerHub" }], ["PULL_ARTIFACT", "DELETE_ARTIFACT"]);
    await writeEvent(t.db, "manifest.pulled", { ...pushed("formats/app"), count: 3, pulledAt: new Date().toISOString() });
    await writeEvent(t.db, "manifest.deleted", pushed("formats/app"));
    const tasks = await finished(t, policyId, 2);
    assert.ok(tasks.every((x) => x.status === "Success"));
    const types = receiver.requests.filter((r) => r.url === "/pulls").map((r) => JSON.parse(r.body).type).sort();
    assert.deepEqual(types, ["DELETE_ARTIFACT", "PULL_ARTIFACT"]);
    assert.equal(receiver.requests.filter((r) => r.url === "/dh-pulls").length, 0);
  });

  it("retries with backoff until the receiver succeeds, recording each attempt", async () => {
    const flaky = await startReceiver((_r, res, n) => {
      res.statusCode = n < 3 ? 500 : 200;
      res.end(n < 3 ? "not yet" : "ok");
    });
    try {
      const policyId = await createPolicy(t.db, projectId, [{ address: `${flaky.url}/hook` }]);
      await writeEvent(t.db, "manifest.pushed", pushed("formats/app", "retry"));
      const [task] = await finished(t, policyId, 1);
      assert.equal(task!.status, "Success");
      assert.equal(task!.runCount, 3);
      const lines = task!.log.trim().split("\n");
      assert.equal(lines.length, 3);
      assert.match(lines[0]!, /attempt 1: HTTP 500 .*not yet.*will retry/);
      assert.match(lines[2]!, /attempt 3: HTTP 200/);
      assert.equal(flaky.requests.length, 3);
      assert.equal(new Set(flaky.requests.map((r) => r.headers["x-berth-event-id"])).size, 1, "the same event id on every attempt");
    } finally {
      await flaky.close();
    }
  });

  it("fails hanging, erroring, redirect-looping and ftp:// targets cleanly while another target still gets its delivery", async () => {
    const bad = await startReceiver((r, res) => {
      if (r.url === "/hang") return; // never answers
      if (r.url === "/loop") {
        res.statusCode = 307;
        res.setHeader("Location", "/loop");
        return res.end();
      }
      res.statusCode = 500;
      res.end("boom");
    });
    try {
      const policyId = await createPolicy(t.db, projectId, [
        { address: `${bad.url}/hang` },
        { address: `${bad.url}/fail` },
        { address: `${bad.url}/loop` },
        { address: "ftp://127.0.0.1/hook" },
        { address: `${receiver.url}/good` },
      ]);
      const started = Date.now();
      await writeEvent(t.db, "manifest.pushed", pushed("formats/app", "mixed"));
      await waitFor(() => receiver.requests.find((r) => r.url === "/good"), 5_000, "the good target's delivery");
      assert.ok(Date.now() - started < 5_000, "the good target was not held up by the others");
      const tasks = await finished(t, policyId, 5);
      const [hang, fail, loop, ftp, good] = tasks;
      assert.equal(good!.status, "Success");
      assert.equal(hang!.status, "Error");
      assert.match(hang!.log, /timed out after 1000 ms/);
      assert.equal(hang!.runCount, 4);
      assert.equal(fail!.status, "Error");
      assert.match(fail!.statusMessage, /HTTP 500/);
      assert.equal(loop!.status, "Error");
      assert.match(loop!.log, /too many redirects/);
      assert.equal(ftp!.status, "Error");
      assert.equal(ftp!.runCount, 1, "a bad scheme is not retried");
      assert.match(ftp!.statusMessage, /only http and https/);
      const execution = await waitFor(() => t.db.execution.findFirst({ where: { vendorId: policyId, endTime: { not: null } } }), 5_000, "the execution to end");
      assert.equal(execution.status, "Error");
      assert.match(execution.statusMessage, /4 of 5 tasks failed/);
    } finally {
      await bad.close();
    }
  });
});

describe("webhook delivery with BERTH_WEBHOOK_DENY_PRIVATE", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let t: TestJobservice;
  let receiver: Receiver;
  before(async () => {
    t = await startTestJobservice({ webhook: { denyPrivate: true, timeoutMs: 1_000, callbackTtlMs: 60_000 } });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await t?.close();
  });

  it("refuses loopback targets (literal and by name) without retrying", async () => {
    const projectId = await createProject(t.db, "private");
    const port = new URL(receiver.url).port;
    const policyId = await createPolicy(t.db, projectId, [{ address: receiver.url }, { address: `http://localhost:${port}/x` }]);
    await writeEvent(t.db, "manifest.pushed", pushed("private/app"));
    const tasks = await finished(t, policyId, 2);
    for (const task of tasks) {
      assert.equal(task.status, "Error");
      assert.equal(task.runCount, 1);
      assert.match(task.statusMessage, /private or local address/);
    }
    assert.equal(receiver.requests.length, 0);
  });
});
