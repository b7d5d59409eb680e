import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createCallback, validationOf } from "@berth/webhooks";
import { adminAuth, basic, call, createUser, startTestCore, type TestCore } from "../test-support.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"] && process.env["BERTH_TEST_REDIS_URL"]);
const PW = "Passw0rdX";
const DIGEST = `sha256:${"cd".repeat(32)}`;
const policy = (extra: Record<string, unknown> = {}) => ({
  name: "ci",
  description: "notify CI",
  targets: [{ type: "http", address: "http://127.0.0.1:9/hook", auth_header: "Bearer t", payload_format: "DockerHub", secret: "hmac-key", promote_tag: "validated" }],
  event_types: ["PUSH_ARTIFACT", "QUOTA_EXCEED"],
  enabled: true,
  ...extra,
});

describe("webhook policies API", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let core: TestCore;
  let projectId: number;
  const base = "/api/v2.0/projects/hooks/webhook";
  before(async () => {
    core = await startTestCore({ redis: "none" });
    const admin = await core.db.user.findUniqueOrThrow({ where: { username: "admin" } });
    projectId = (await core.db.project.create({ data: { name: "hooks", ownerId: admin.id } })).id;
    for (const [name, roleId] of [["padmin", 1], ["dev", 2], ["guest", 3], ["maint", 4]] as const) {
      const userId = await createUser(core.db, name, PW);
      await core.db.projectMember.create({ data: { projectId, userId, roleId } });
    }
  });
  after(async () => core?.close());

  it("lets a projectAdmin create, read, update and delete policies, never showing the secret", async () => {
    const created = await call(core.base, "POST", `${base}/policies`, { headers: basic("padmin", PW), body: policy() });
    assert.equal(created.status, 201, JSON.stringify(created.data));
    const location = created.headers.get("location")!;
    assert.match(location, new RegExp(`^/api/v2.0/projects/${projectId}/webhook/policies/\\d+$`));
    const id = location.split("/").pop();

    const got = await call(core.base, "GET", `${base}/policies/${id}`, { headers: basic("padmin", PW) });
    assert.equal(got.status, 200);
    assert.equal(got.data.name, "ci");
    assert.equal(got.data.project_id, projectId);
    assert.equal(got.data.creator, "padmin");
    assert.equal(got.data.enabled, true);
    assert.deepEqual(got.data.event_types, ["PUSH_ARTIFACT", "QUOTA_EXCEED"]);
    assert.equal(got.data.targets[0].address, "http://127.0.0.1:9/hook");
    assert.equal(got.data.targets[0].promote_tag, "validated");
    assert.equal(got.data.targets[0].secret, undefined);
    assert.ok(!JSON.stringify(got.data).includes("hmac-key"));
    assert.ok(got.data.creation_time && got.data.update_time);

    const list = await call(core.base, "GET", `${base}/policies`, { headers: basic("maint", PW) });
    assert.equal(list.status, 200, "maintainers read policies");
    assert.equal(list.headers.get("x-total-count"), "1");

    const updated = await call(core.base, "PUT", `${base}/policies/${id}`, { headers: basic("padmin", PW), body: policy({ enabled: false, description: "off" }) });
    assert.equal(updated.status, 200);
    const row = await core.db.webhookPolicy.findUniqueOrThrow({ where: { id: BigInt(id!) } });
    assert.equal(row.enabled, false);
    assert.equal((row.targets as { secret?: string }[])[0]!.secret, "hmac-key");

    const events = await call(core.base, "GET", `${base}/events`, { headers: basic("padmin", PW) });
    assert.equal(events.status, 200);
    assert.ok(events.data.event_type.includes("PULL_ARTIFACT"));
    assert.deepEqual(events.data.notify_type, ["http", "slack"]);

    const executions = await call(core.base, "GET", `${base}/policies/${id}/executions`, { headers: basic("padmin", PW) });
    assert.equal(executions.status, 200);
    assert.deepEqual(executions.data, []);

    assert.equal((await call(core.base, "DELETE", `${base}/policies/${id}`, { headers: basic("padmin", PW) })).status, 200);
    assert.equal((await call(core.base, "GET", `${base}/policies/${id}`, { headers: adminAuth() })).status, 404);
  });

  it("refuses developers, guests, maintainers' writes and anonymous callers", async () => {
    assert.equal((await call(core.base, "GET", `${base}/policies`)).status, 401);
    assert.equal((await call(core.base, "POST", `${base}/policies`, { body: policy() })).status, 401);
    assert.equal((await call(core.base, "GET", `${base}/policies`, { headers: basic("dev", PW) })).status, 403);
    assert.equal((await call(core.base, "GET", `${base}/policies`, { headers: basic("guest", PW) })).status, 403);
    assert.equal((await call(core.base, "POST", `${base}/policies`, { headers: basic("dev", PW), body: policy() })).status, 403);
    assert.equal((await call(core.base, "POST", `${base}/policies`, { headers: basic("maint", PW), body: policy() })).status, 403);
    assert.equal((await call(core.base, "POST", `${base}/policies`, { headers: adminAuth(), body: policy({ name: "by-admin" }) })).status, 201);
  });

  it("validates policies: addresses, event types, formats", async () => {
    const bad = async (body: unknown) => (await call(core.base, "POST", `${base}/policies`, { headers: adminAuth(), body })).status;
    assert.equal(await bad(policy({ targets: [{ address: "ftp://example.com/x" }] })), 400);
    assert.equal(await bad(policy({ event_types: ["NOPE"] })), 400);
    assert.equal(await bad(policy({ targets: [{ type: "slack", address: "https://hooks.slack.test/x", payload_format: "CloudEvents" }] })), 400);
    assert.equal(await bad(policy({ targets: [] })), 400);
    assert.equal(await bad(policy({ name: "dup" })), 201);
    assert.equal(await bad(policy({ name: "dup" })), 409);
  });
});

describe("webhook callbacks", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let core: TestCore;
  before(async () => {
    core = await startTestCore({ redis: "none" });
  });
  after(async () => core?.close());
  const subject = { taskId: 1n, policyId: 7n, repository: "library/app", digest: DIGEST, tag: "1.0", promoteTag: "validated" };

  it("records the validation, emits artifact.validated with promote_tag, and refuses reuse", async () => {
    const token = await createCallback(core.db, subject);
    const body = { state: "success", description: "Build result SUCCESS", context: "Jenkins", target_url: "http://jenkins.test/job/1" };
    const ok = await call(core.base, "POST", `/api/v2.0/webhook-callbacks/${token}`, { body });
    assert.equal(ok.status, 200, JSON.stringify(ok.data));
    assert.deepEqual(await validationOf(core.db, "library/app", DIGEST).then((v) => v && { ...v, update_time: "x" }), {
      state: "success",
      description: "Build result SUCCESS",
      context: "Jenkins",
      target_url: "http://jenkins.test/job/1",
      update_time: "x",
    });
    const event = await core.db.outboxEvent.findFirstOrThrow({ where: { type: "artifact.validated" } });
    assert.deepEqual(event.payload, { repository: "library/app", digest: DIGEST, tag: "1.0", state: "success", description: "Build result SUCCESS", context: "Jenkins", target_url: "http://jenkins.test/job/1", policy_id: 7, promote_tag: "validated" });

    const again = await call(core.base, "POST", `/api/v2.0/webhook-callbacks/${token}`, { body });
    assert.equal(again.status, 410);
    assert.equal(again.data.errors[0].code, "GONE");
  });

  it("refuses unknown and expired callbacks, and a failure does not promote", async () => {
    assert.equal((await call(core.base, "POST", `/api/v2.0/webhook-callbacks/${"x".repeat(43)}`, { body: { state: "success" } })).status, 404);
    assert.equal((await call(core.base, "POST", "/api/v2.0/webhook-callbacks/short", { body: { state: "success" } })).status, 404);
    const expired = await createCallback(core.db, subject, -1_000);
    assert.equal((await call(core.base, "POST", `/api/v2.0/webhook-callbacks/${expired}`, { body: { state: "success" } })).status, 410);
    const token = await createCallback(core.db, { ...subject, digest: `sha256:${"ef".repeat(32)}` });
    assert.equal((await call(core.base, "POST", `/api/v2.0/webhook-callbacks/${token}`, { body: { state: "bogus" } })).status, 400);
    assert.equal((await call(core.base, "POST", `/api/v2.0/webhook-callbacks/${token}`, { body: { state: "failure", context: "Jenkins" } })).status, 200);
    const event = await core.db.outboxEvent.findFirstOrThrow({ where: { type: "artifact.validated", payload: { path: ["state"], equals: "failure" } } });
    assert.equal((event.payload as { promote_tag?: string }).promote_tag, undefined);
  });
});
