// Replication end to end: two Berth instances side by side, CNCF Distribution (plain; with
// Berth's token auth standing in for Docker Hub; behind an nginx that answers 429 with
// Retry-After), real servers only. Push and pull mode; manual, scheduled and event-based
// triggers; filters and namespace rewriting; override off and on; a multi-arch index with a
// signature and an SBOM arriving with its referrers; deletion sync of artifacts and tags; stop
// mid-execution; kill -9 of the jobservice mid-copy of a 256 MiB layer (chunked copy resumes);
// a rate-limited remote slowing the copy without failing it. Digests are compared on both sides.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { CoreApi } from "./support/api.js";
import { Distributions, type RunningRegistry } from "./support/distribution.js";
import { eventually } from "./support/http.js";
import {
  createEndpoint,
  createReplicationPolicy,
  digestOf,
  execution,
  finished,
  logs,
  makeImage,
  makeLayer,
  pushFallbackIndex,
  pushImage,
  pushIndex,
  pushLargeImage,
  pushReferrer,
  repoOn,
  startExecution,
  taskLog,
  tasks,
} from "./support/replication-fixtures.js";
import { Skopeo } from "./support/skopeo.js";
import { startTestStacks, type TestStack } from "./support/stack.js";

const MiB = 1024 * 1024;
const SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json";
const SBOM = "application/spdx+json";

describe("replication", { timeout: 14 * 60_000 }, () => {
  let a: TestStack;
  let b: TestStack;
  let apiA: CoreApi;
  let apiB: CoreApi;
  let dist: Distributions;
  let plain: RunningRegistry;
  let hub: RunningRegistry;
  let limited: { url: string };
  let limitedBehind: RunningRegistry;
  const skopeo = new Skopeo();
  const endpoints: Record<string, number> = {};

  before(async () => {
    // A runs replication with two tasks at a time (so a stop finds one pending) and 16 MiB chunks;
    // its children are restarted when they die (kill -9 of the jobservice).
    [a, b] = await startTestStacks(["repl-a", { restartChildren: true, env: { BERTH_QUEUE_CONCURRENCY_REPLICATION: "2", BERTH_REPLICATION_CHUNK_MIB: "16" } }], ["repl-b"]);
    apiA = new CoreApi(a.baseUrl, "admin", a.adminPassword);
    apiB = new CoreApi(b.baseUrl, "admin", b.adminPassword);
    dist = new Distributions();
    plain = await dist.registry("plain");
    // Docker Hub's stand-in: a Distribution whose token realm is Berth A's token service.
    hub = await dist.registry("hub", { realm: `${a.baseUrl}/service/token`, certFile: join(a.dataDir, "secrets", "token", "tls.crt") });
    limitedBehind = await dist.registry("limited");
    limited = await dist.rateLimitedFront("limited-front", limitedBehind.port, 4, 4);
  });

  after(async () => {
    skopeo.cleanup();
    await Promise.all([a?.stop(), b?.stop(), dist?.stop()]);
  });

  it("registries: created with sealed credentials that are never returned, pinged, described", async () => {
    endpoints["b"] = await createEndpoint(apiA, { name: "berth-b", type: "berth", url: b.baseUrl, credential: { type: "basic", access_key: "admin", access_secret: b.adminPassword } });
    endpoints["plain"] = await createEndpoint(apiA, { name: "distribution", type: "docker-registry", url: plain.url });
    endpoints["limited"] = await createEndpoint(apiA, { name: "limited", type: "docker-registry", url: limited.url });
    endpoints["hub"] = await createEndpoint(apiA, { name: "hub", type: "docker-hub", url: hub.url, credential: { type: "basic", access_key: "admin", access_secret: a.adminPassword } });
    const view = await apiA.ok("GET", `/registries/${endpoints["b"]}`);
    assert.equal((view.body as { status: string }).status, "healthy");
    assert.ok(!view.text.includes(b.adminPassword), "the secret is never returned");
    assert.deepEqual((view.body as { credential: unknown }).credential, { type: "basic", access_key: "admin" });
    const stored = a.psql(`SELECT access_secret FROM registries WHERE id = ${endpoints["b"]}`);
    assert.ok(stored.startsWith("v1.") && !stored.includes(b.adminPassword), "sealed at rest");
    assert.equal((await apiA.request("POST", "/registries/ping", { id: endpoints["b"] })).status, 200);
    const wrong = await apiA.request("POST", "/registries/ping", { id: endpoints["b"], access_secret: "not-the-password" });
    assert.equal(wrong.status, 400, wrong.text);
    assert.match(wrong.text, /refused the credentials/);
    assert.equal((await apiA.request("POST", "/registries/ping", { id: endpoints["hub"] })).status, 200, "the stand-in's token realm (Berth A) takes the credentials");
    assert.deepEqual((await apiA.ok("GET", "/replication/adapters")).body, ["berth", "docker-hub", "docker-registry", "harbor"]);
    const info = (await apiA.ok("GET", `/registries/${endpoints["plain"]}/info`)).body as { supported_triggers: string[]; supported_copy_by_chunk: boolean };
    assert.deepEqual(info.supported_triggers, ["manual", "scheduled", "event_based"]);
    assert.equal(info.supported_copy_by_chunk, true);
    const anonymous = new CoreApi(a.baseUrl);
    assert.equal((await anonymous.request("GET", "/registries")).status, 401);
    // Sysadmins only, as in Harbor: a signed-in user who is not one is refused every endpoint and policy call.
    assert.equal((await apiA.request("POST", "/users", { username: "notadmin", email: "notadmin@example.test", realname: "n", password: "Not-admin-1" })).status, 201);
    const user = apiA.as("notadmin", "Not-admin-1");
    for (const [method, path, body] of [
      ["GET", "/registries"],
      ["POST", "/registries", { name: "x", type: "docker-registry", url: "http://127.0.0.1:1" }],
      ["GET", "/replication/policies"],
      ["POST", "/replication/policies", { name: "x" }],
      ["POST", "/replication/executions", { policy_id: 1 }],
    ] as [string, string, unknown?][]) {
      const r = await user.request(method, path, body);
      assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
    }
  });

  let web: { index: { digest: string }; images: { manifest: { digest: string } }[] };
  let sig: { digest: string };
  let sbom: { digest: string };

  it("push mode to Berth, manual: filters, namespace rewriting, a multi-arch index with its signature and SBOM, digests identical, override off then on", async () => {
    await apiA.createProject("apps");
    await apiA.createProject("other");
    const shared = makeLayer("oci");
    const webRepo = await repoOn(a.baseUrl, "apps/web", apiA);
    web = await pushIndex(webRepo, "v1", [shared]);
    sig = await pushReferrer(webRepo, web.index as never, SIGNATURE, "signature");
    sbom = await pushReferrer(webRepo, web.index as never, SBOM, '{"spdxVersion":"SPDX-2.3"}');
    await pushImage(webRepo, makeImage("oci"), "dev");
    const apiRepo = await repoOn(a.baseUrl, "apps/api", apiA);
    const apiImage = makeImage("oci", { layers: [shared, makeLayer("oci")] });
    await pushImage(apiRepo, apiImage, "v1");
    await pushImage(await repoOn(a.baseUrl, "other/x", apiA), makeImage("oci"), "v1");
    // B already has mirror/api:v1, different content: override off must leave it.
    await apiB.createProject("mirror");
    const bApi = await repoOn(b.baseUrl, "mirror/api", apiB);
    const theirs = await pushImage(bApi, makeImage("oci"), "v1");

    // A webhook consumer of project apps hears of the replication (Harbor's REPLICATION event).
    const received: { type: string; event_data: { replication: { job_status: string; successful_artifact: unknown[] } } }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        received.push(JSON.parse(body) as (typeof received)[number]);
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
    await apiA.ok("POST", "/projects/apps/webhook/policies", {
      name: "replication-hook",
      targets: [{ type: "http", address: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` }],
      event_types: ["REPLICATION"],
    });
    const policy = await createReplicationPolicy(apiA, {
      name: "to-b",
      src_registry: null,
      dest_registry: { id: endpoints["b"] },
      dest_namespace: "mirror",
      dest_namespace_replace_count: 1,
      filters: [
        { type: "name", value: "apps/**" },
        { type: "tag", value: "v*" },
      ],
      trigger: { type: "manual" },
      override: false,
    });
    const first = await finished(apiA, await startExecution(apiA, policy));
    assert.equal(first.status, "Succeed", await logs(apiA, first.id));
    assert.equal(first.trigger, "manual");
    assert.deepEqual([first.total, first.succeed, first.failed], [2, 2, 0]);
    const bWeb = await repoOn(b.baseUrl, "mirror/web", apiB);
    assert.equal(await digestOf(bWeb, "v1"), web.index.digest, "the index arrives byte for byte");
    for (const image of web.images) assert.equal(await digestOf(bWeb, image.manifest.digest), image.manifest.digest);
    assert.equal(await digestOf(bWeb, "dev"), undefined, "the tag filter left dev behind");
    assert.equal(await digestOf(await repoOn(b.baseUrl, "mirror/x", apiB), "v1"), undefined, "the name filter left other/x behind");
    const token = await apiB.token(["repository:mirror/web:pull"]);
    const index = (await (await fetch(`${b.baseUrl}/v2/mirror/web/referrers/${web.index.digest}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { manifests: { digest: string; artifactType: string }[] };
    assert.deepEqual(index.manifests.map((m) => m.digest).sort(), [sig.digest, sbom.digest].sort(), "the signature and the SBOM follow their subject");
    assert.equal(await digestOf(bApi, "v1"), theirs, "override off: B's differing mirror/api:v1 is left as it was");
    const apiTask = (await tasks(apiA, first.id)).find((t) => t.src_resource.startsWith("apps/api"))!;
    assert.match(await taskLog(apiA, first.id, apiTask.id), /not overwritten \(override is off\)/);
    // skopeo (a real client) sees the same bytes on both sides.
    const onA = await skopeo.inspectRaw(`docker://${a.registry}/apps/web:v1`, `admin:${a.adminPassword}`);
    const onB = await skopeo.inspectRaw(`docker://${b.registry}/mirror/web:v1`, `admin:${b.adminPassword}`);
    assert.equal(onA.digest, onB.digest, onB.result.describe);
    const hook = await eventually(async () => received.find((r) => r.type === "REPLICATION"), 30_000, () => `no REPLICATION webhook: ${JSON.stringify(received)}`);
    assert.equal(hook.event_data.replication.job_status, "Success");
    assert.equal(hook.event_data.replication.successful_artifact.length, 2);

    const current = (await apiA.ok("GET", `/replication/policies/${policy}`)).body as Record<string, unknown>;
    await apiA.ok("PUT", `/replication/policies/${policy}`, { ...current, override: true });
    const second = await finished(apiA, await startExecution(apiA, policy));
    assert.equal(second.status, "Succeed", await logs(apiA, second.id));
    assert.equal(await digestOf(bApi, "v1"), apiImage.manifest.digest, "override on: replaced");
    const webTask = (await tasks(apiA, second.id)).find((t) => t.src_resource.startsWith("apps/web"))!;
    assert.match(await taskLog(apiA, second.id, webTask.id), /already on the destination/);
    const audit = await apiA.ok("GET", "/audit-logs?page_size=100");
    const kinds = (audit.body as { resource_type: string; operation: string }[]).map((e) => `${e.resource_type}:${e.operation}`);
    for (const k of ["registry:create", "replication-policy:create", "replication-policy:update", "replication:start", "replication:finish"]) assert.ok(kinds.includes(k), `audit has ${k}: ${kinds.join(", ")}`);
  });

  it("pull mode from Distribution, scheduled: the image and its tag-schema referrer arrive", async () => {
    await apiA.createProject("pulled");
    const repo = await repoOn(plain.url, "team/tool");
    const image = makeImage("v2s2");
    await pushImage(repo, image, "1.0");
    const subject = { ...image.manifest };
    const attestation = await pushReferrer(repo, subject, SBOM, '{"spdxVersion":"SPDX-2.3","name":"tool"}');
    await pushFallbackIndex(repo, image.manifest.digest, [attestation], SBOM);
    const policy = await createReplicationPolicy(apiA, {
      name: "from-distribution",
      src_registry: { id: endpoints["plain"] },
      dest_registry: null,
      dest_namespace: "pulled",
      dest_namespace_replace_count: 1,
      filters: [{ type: "name", value: "team/**" }, { type: "tag", value: "1.*" }],
      trigger: { type: "scheduled", trigger_settings: { cron: "*/2 * * * * *" } },
    });
    const run = await eventually(
      async () => {
        const list = (await apiA.ok("GET", `/replication/executions?policy_id=${policy}`)).body as { id: number; status: string; trigger: string }[];
        return list.find((e) => e.status === "Succeed");
      },
      60_000,
      () => "no scheduled execution succeeded",
    );
    assert.equal(run.trigger, "scheduled");
    const current = (await apiA.ok("GET", `/replication/policies/${policy}`)).body as Record<string, unknown>;
    await apiA.ok("PUT", `/replication/policies/${policy}`, { ...current, enabled: false });
    const local = await repoOn(a.baseUrl, "pulled/tool", apiA);
    assert.equal(await digestOf(local, "1.0"), image.manifest.digest, "a Docker schema 2 manifest arrives unchanged");
    const token = await apiA.token(["repository:pulled/tool:pull"]);
    const index = (await (await fetch(`${a.baseUrl}/v2/pulled/tool/referrers/${image.manifest.digest}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { manifests: { digest: string }[] };
    assert.deepEqual(index.manifests.map((m) => m.digest), [attestation.digest], "found through the tag-schema fallback, attached through the referrers API");
  });

  it("pull mode from Berth (listed through its Harbor API): the index and its referrers come back", async () => {
    await apiA.createProject("back");
    const policy = await createReplicationPolicy(apiA, {
      name: "from-b",
      src_registry: { id: endpoints["b"] },
      dest_registry: null,
      dest_namespace: "back",
      dest_namespace_replace_count: 1,
      filters: [{ type: "name", value: "mirror/web" }],
      trigger: { type: "manual" },
    });
    const run = await finished(apiA, await startExecution(apiA, policy));
    assert.equal(run.status, "Succeed", await logs(apiA, run.id));
    const local = await repoOn(a.baseUrl, "back/web", apiA);
    assert.equal(await digestOf(local, "v1"), web.index.digest);
    const token = await apiA.token(["repository:back/web:pull"]);
    const index = (await (await fetch(`${a.baseUrl}/v2/back/web/referrers/${web.index.digest}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { manifests: { digest: string }[] };
    assert.deepEqual(index.manifests.map((m) => m.digest).sort(), [sig.digest, sbom.digest].sort());
  });

  it("event-based push to Distribution with deletion sync of tags and artifacts", async () => {
    await apiA.createProject("events");
    await createReplicationPolicy(apiA, {
      name: "events-to-distribution",
      src_registry: null,
      dest_registry: { id: endpoints["plain"] },
      filters: [{ type: "name", value: "events/**" }],
      trigger: { type: "event_based" },
      replicate_deletion: true,
    });
    const src = await repoOn(a.baseUrl, "events/app", apiA);
    const dst = await repoOn(plain.url, "events/app");
    const first = makeImage("oci");
    const one = await pushImage(src, first, "one");
    const two = await pushImage(src, makeImage("oci"), "two");
    const keep = await pushImage(src, makeImage("oci"), "keep");
    for (const [tag, digest] of [["one", one], ["two", two], ["keep", keep]] as const) {
      await eventually(async () => ((await digestOf(dst, tag)) === digest ? true : undefined), 60_000, () => `events/app:${tag} did not arrive`);
    }
    // A signature pushed later (by digest, no tag) follows its subject, with the fallback tag Distribution needs.
    const late = await pushReferrer(src, first.manifest, SIGNATURE, "late signature");
    await eventually(async () => ((await digestOf(dst, late.digest)) === late.digest ? true : undefined), 60_000, () => "the late signature did not follow its subject");
    await eventually(async () => ((await digestOf(dst, `sha256-${one.slice(7)}`)) ? true : undefined), 30_000, () => "no referrers fallback tag on Distribution");
    assert.equal((await apiA.request("DELETE", `/projects/events/repositories/app/artifacts/${two}/tags/two`)).status, 200);
    await eventually(async () => ((await digestOf(dst, "two")) === undefined ? true : undefined), 60_000, () => "the deleted tag two is still on Distribution");
    assert.equal((await apiA.request("DELETE", `/projects/events/repositories/app/artifacts/${one}`)).status, 200);
    await eventually(async () => ((await digestOf(dst, one)) === undefined ? true : undefined), 60_000, () => "the deleted artifact is still on Distribution");
    assert.equal(await digestOf(dst, "one"), undefined, "its tag went with it");
    assert.equal(await digestOf(dst, "keep"), keep, "the rest stays");
    const list = (await apiA.ok("GET", "/replication/executions?trigger=event_based&page_size=100")).body as { status: string }[];
    assert.ok(list.length >= 5 && list.every((e) => e.status === "Succeed"), JSON.stringify(list));
  });

  it("Docker Hub's naming and token realm (a stand-in): library/ repositories from the name filter", async () => {
    const repo = await repoOn(hub.url, "library/busybox", apiA);
    const image = makeImage("v2s2");
    await pushImage(repo, image, "stable");
    const policy = await createReplicationPolicy(apiA, {
      name: "from-hub",
      src_registry: { id: endpoints["hub"] },
      dest_registry: null,
      // Docker Hub's short name of an official image: busybox is library/busybox.
      filters: [{ type: "name", value: "busybox" }, { type: "tag", value: "stable" }],
      trigger: { type: "manual" },
    });
    const run = await finished(apiA, await startExecution(apiA, policy));
    assert.equal(run.status, "Succeed", await logs(apiA, run.id));
    assert.equal(run.total, 1);
    assert.equal(await digestOf(await repoOn(a.baseUrl, "library/busybox", apiA), "stable"), image.manifest.digest);
  });

  it("a remote answering 429 with Retry-After slows the copy and nothing fails", async () => {
    const policy = await createReplicationPolicy(apiA, {
      name: "to-limited",
      src_registry: null,
      dest_registry: { id: endpoints["limited"] },
      filters: [{ type: "name", value: "apps/**" }, { type: "tag", value: "v1" }],
      trigger: { type: "manual" },
    });
    const run = await finished(apiA, await startExecution(apiA, policy), 240_000);
    const all = await logs(apiA, run.id);
    assert.equal(run.status, "Succeed", all);
    assert.match(all, /answered 429; sending again in 1000 ms/, "the 429s were seen and waited out as Retry-After asked");
    const dst = await repoOn(limitedBehind.url, "apps/web");
    assert.equal(await digestOf(dst, "v1"), web.index.digest);
    // Distribution has no referrers API: the referrers went with their subject and the fallback tag was written.
    const fallback = JSON.parse((await dst.getManifest(`sha256-${web.index.digest.slice(7)}`)).body.toString("utf8")) as { manifests: { digest: string }[] };
    assert.deepEqual(fallback.manifests.map((m) => m.digest).sort(), [sig.digest, sbom.digest].sort());
  });

  it("stop mid-execution: the running copy is aborted within 10 s, the pending task never starts", async () => {
    await apiA.createProject("slow");
    for (const name of ["one", "two", "three"]) {
      await pushImage(await repoOn(a.baseUrl, `slow/${name}`, apiA), makeImage("oci", { layers: [makeLayer("oci", undefined, 6 * MiB)] }), "v1");
    }
    const policy = await createReplicationPolicy(apiA, {
      name: "slow-to-b",
      src_registry: null,
      dest_registry: { id: endpoints["b"] },
      filters: [{ type: "name", value: "slow/**" }],
      trigger: { type: "manual" },
      speed: 64,
    });
    const id = await startExecution(apiA, policy);
    await eventually(async () => ((await tasks(apiA, id)).filter((t) => t.status === "InProgress").length === 2 ? true : undefined), 60_000, () => "two tasks did not start");
    const stoppedAt = Date.now();
    await apiA.ok("PUT", `/replication/executions/${id}`);
    const stopped = await finished(apiA, id, 10_000);
    const tookMs = Date.now() - stoppedAt;
    assert.equal(stopped.status, "Stopped", await logs(apiA, id));
    assert.ok(tookMs <= 10_000, `stopped after ${tookMs} ms`);
    const after = await tasks(apiA, id);
    assert.deepEqual(after.map((t) => t.status), ["Stopped", "Stopped", "Stopped"]);
    assert.equal(after.filter((t) => t.run_count === 0).length, 1, "the pending task never ran");
    assert.equal(stopped.stopped, 3);
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual((await tasks(apiA, id)).map((t) => t.status), ["Stopped", "Stopped", "Stopped"], "nothing restarted them");
  });

  it("kill -9 of the jobservice mid-copy of a 256 MiB layer: the chunked copy resumes from its last chunk", async () => {
    await apiA.createProject("big");
    const size = 256 * MiB;
    const big = await pushLargeImage(await repoOn(a.baseUrl, "big/layer", apiA), "v1", size);
    const policy = await createReplicationPolicy(apiA, {
      name: "big-to-b",
      src_registry: null,
      dest_registry: { id: endpoints["b"] },
      filters: [{ type: "name", value: "big/**" }],
      trigger: { type: "manual" },
      copy_by_chunk: true,
      speed: 24 * 1024,
    });
    const id = await startExecution(apiA, policy);
    const task = await eventually(async () => (await tasks(apiA, id)).find((t) => t.bytes >= 64 * MiB), 120_000, () => "the copy did not get past 64 MiB");
    assert.ok(task.bytes < size, "killed mid-copy");
    const pid = a.pidOf("jobservice");
    assert.ok(pid);
    process.kill(pid, "SIGKILL");
    const run = await finished(apiA, id, 240_000);
    const log = await taskLog(apiA, id, task.id);
    assert.equal(run.status, "Succeed", log);
    const resumed = /resuming (sha256:[0-9a-f]+) at byte (\d+) of (\d+)/.exec(log);
    assert.ok(resumed, `the retry resumed the upload:\n${log}`);
    assert.equal(resumed[1], big.layer);
    const at = Number(resumed[2]);
    assert.ok(at >= 64 * MiB && at < size, `resumed at ${at}`);
    assert.match(log, new RegExp(`sent bytes ${at}-${size - 1} \\(${size - at} of ${size}\\) in this attempt`));
    const final = (await tasks(apiA, id)).find((t) => t.id === task.id)!;
    assert.ok(final.run_count >= 2, "a second attempt ran");
    assert.ok(final.bytes < size + 32 * MiB, `bytes transferred ${final.bytes}: the layer was not sent twice`);
    const dst = await repoOn(b.baseUrl, "big/layer", apiB);
    assert.equal(await digestOf(dst, "v1"), big.manifest);
    assert.equal(await dst.blobSize(big.layer), size);
    assert.equal(a.psql("SELECT count(*) FROM replication_uploads"), "0", "the saved upload is gone once complete");
  });
});

