// Tag immutability and labels through core's API, with the registry's content written through
// registry-store (the registry service's code paths): each path that could move or remove an
// immutable tag is refused naming the rule; labels are added, shown, filtered and removed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseManifestReference } from "@berth/oci";
import { TagImmutableError } from "@berth/registry-store";
import { adminAuth, call, startTestCore, type TestCore } from "./test-support.js";
import { layer, pushImage } from "./test-images.js";
import { createDefaultProxyCacheRetention } from "./retention/retention-store.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"]);
let core: TestCore;
const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = adminAuth()) => call(core.base, method, `/api/v2.0${path}`, { headers, body });
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

const rule = (tag: string, repo = "**", extra: Record<string, unknown> = {}) => ({
  tag_selectors: [{ kind: "doublestar", decoration: "matches", pattern: tag }],
  scope_selectors: { repository: [{ kind: "doublestar", decoration: "repoMatches", pattern: repo }] },
  ...extra,
});

describe("tag immutability and labels", { skip: !enabled && "needs BERTH_TEST_PG_URL" }, () => {
  before(async () => {
    core = await startTestCore({ redis: "none" });
    for (const name of ["imm", "lab", "other"]) assert.equal((await api("POST", "/projects", { project_name: name })).status, 201);
  });
  after(async () => core?.close());

  test("immutability rules: create, list, validate, disable, delete; at most 15", async () => {
    const bad = await api("POST", "/projects/imm/immutabletagrules", { tag_selectors: [{ decoration: "sometimes", pattern: "v[1" }], scope_selectors: { repository: [] } });
    assert.equal(bad.status, 400);
    assert.match(bad.data.errors[0].message, /decoration/);
    assert.match(bad.data.errors[0].message, /unclosed "\["/);
    assert.match(bad.data.errors[0].message, /scope_selectors.repository: needs one selector/);
    const created = await api("POST", "/projects/imm/immutabletagrules", rule("tmp-*"));
    assert.equal(created.status, 201);
    const id = Number(created.headers.get("location")!.split("/").pop());
    const list = await api("GET", "/projects/imm/immutabletagrules");
    assert.equal(list.status, 200);
    assert.equal(list.data.length, 1);
    assert.deepEqual(list.data[0].tag_selectors, [{ kind: "doublestar", decoration: "matches", pattern: "tmp-*" }]);
    assert.equal(list.data[0].disabled, false);
    assert.equal((await api("PUT", `/projects/imm/immutabletagrules/${id}`, { disabled: true })).status, 200);
    assert.equal((await api("GET", "/projects/imm/immutabletagrules")).data[0].disabled, true);
    assert.equal((await api("DELETE", `/projects/imm/immutabletagrules/${id}`)).status, 200);
    assert.equal((await api("DELETE", `/projects/imm/immutabletagrules/${id}`)).status, 404);
    for (let i = 0; i < 15; i++) assert.equal((await api("POST", "/projects/other/immutabletagrules", rule(`r${i}`))).status, 201);
    assert.equal((await api("POST", "/projects/other/immutabletagrules", rule("r15"))).status, 412);
  });

  test("an immutable tag cannot be re-pushed to another digest, deleted, re-tagged by a copy, or lose its artifact or repository", async () => {
    const v1 = await pushImage(core.registry, "imm/app", "1.0", [layer("a")]);
    await pushImage(core.registry, "imm/app", "dev", [layer("b")]);
    const created = await api("POST", "/projects/imm/immutabletagrules", rule("1.*", "app"));
    assert.equal(created.status, 201);
    const ruleId = Number(created.headers.get("location")!.split("/").pop());

    // Re-push of the same digest is fine (an idempotent retry); another digest is refused, naming the rule.
    await core.registry.manifests.put("imm/app", parseManifestReference("1.0"), v1.body, OCI_MANIFEST);
    await assert.rejects(pushImage(core.registry, "imm/app", "1.0", [layer("c")]), (err: unknown) => {
      assert.ok(err instanceof TagImmutableError);
      assert.match(err.message, new RegExp(`rule ${ruleId}: tags matching "1\\.\\*" in repositories matching "app"`));
      return true;
    });
    assert.equal((await api("GET", "/projects/imm/repositories/app/artifacts/1.0")).data.digest, v1.digest, "the tag did not move");
    const tagsOf = async () => (await api("GET", "/projects/imm/repositories/app/artifacts/1.0?with_immutable_status=true")).data.tags.map((t: { name: string; immutable: boolean }) => [t.name, t.immutable]);
    assert.deepEqual(await tagsOf(), [["1.0", true]]);
    // A new tag matching the rule may be created; a tag the rule does not select moves freely.
    await pushImage(core.registry, "imm/app", "1.1", [layer("d")]);
    await pushImage(core.registry, "imm/app", "dev", [layer("e")]);

    // The registry's tag delete and manifest delete.
    await assert.rejects(core.registry.manifests.delete("imm/app", parseManifestReference("1.0")), TagImmutableError);
    await assert.rejects(core.registry.manifests.delete("imm/app", parseManifestReference(v1.digest)), TagImmutableError);
    // Core's API: tag delete, artifact delete, repository delete → 412 naming the rule.
    const tagDelete = await api("DELETE", `/projects/imm/repositories/app/artifacts/${v1.digest}/tags/1.0`);
    assert.equal(tagDelete.status, 412);
    assert.match(tagDelete.data.errors[0].message, /tag 1\.0 of imm\/app is immutable .*immutability rule/);
    assert.equal((await api("DELETE", `/projects/imm/repositories/app/artifacts/${v1.digest}`)).status, 412);
    assert.equal((await api("DELETE", "/projects/imm/repositories/app")).status, 412);
    // A copy that would re-tag 1.0 onto another digest (Harbor's retag).
    await pushImage(core.registry, "imm/src", "1.0", [layer("f")]);
    const copy = await api("POST", `/projects/imm/repositories/app/artifacts?from=imm/src:1.0`);
    assert.equal(copy.status, 412, JSON.stringify(copy.data));
    assert.equal((await api("GET", "/projects/imm/repositories/app/artifacts/1.0")).data.digest, v1.digest);
    // Other repositories of the project are outside the rule's scope.
    assert.equal((await api("DELETE", "/projects/imm/repositories/src")).status, 200);

    // Disabled, the rule no longer holds.
    assert.equal((await api("PUT", `/projects/imm/immutabletagrules/${ruleId}`, { disabled: true })).status, 200);
    assert.equal((await api("DELETE", `/projects/imm/repositories/app/artifacts/${v1.digest}/tags/1.0`)).status, 200);
  });

  test("pull_count and pull_time come from the batched pull recorder", async () => {
    const img = await pushImage(core.registry, "lab/pulled", "v1", [layer("p")]);
    const stored = await core.registry.manifests.get("lab/pulled", parseManifestReference("v1"));
    for (let i = 0; i < 3; i++) core.registry.pulls.record({ manifestId: stored.id, repository: "lab/pulled", digest: img.digest, mediaType: OCI_MANIFEST, size: stored.size, tag: "v1", actor: i === 2 ? "bob" : "alice" });
    await core.registry.pulls.flush();
    core.registry.pulls.record({ manifestId: stored.id, repository: "lab/pulled", digest: img.digest, mediaType: OCI_MANIFEST, size: stored.size });
    await core.registry.pulls.flush();
    const a = (await api("GET", "/projects/lab/repositories/pulled/artifacts/v1?with_tag=true")).data;
    assert.equal(a.pull_count, 4);
    assert.notEqual(a.pull_time, "0001-01-01T00:00:00.000Z");
    assert.deepEqual(a.tags.map((t: { name: string; pull_time: string }) => [t.name, t.pull_time]), [["v1", a.pull_time]], "a tag's pull time is its artifact's");
    const listed = (await api("GET", "/projects/lab/repositories/pulled/artifacts?with_tag=true")).data;
    assert.equal(listed[0].tags[0].pull_time, a.pull_time, "in the list too");
  });

  test("labels: system and project labels, on artifacts, shown and filtered", async () => {
    const lab = await core.db.project.findUniqueOrThrow({ where: { name: "lab" } });
    const other = await core.db.project.findUniqueOrThrow({ where: { name: "other" } });
    const mk = async (body: unknown) => {
      const res = await api("POST", "/labels", body);
      assert.equal(res.status, 201, JSON.stringify(res.data));
      return Number(res.headers.get("location")!.split("/").pop());
    };
    const prod = await mk({ name: "prod", color: "#ff0000" });
    const team = await mk({ name: "team-a", scope: "p", project_id: lab.id });
    const foreign = await mk({ name: "team-b", scope: "p", project_id: other.id });
    assert.equal((await api("POST", "/labels", { name: "prod" })).status, 409);
    assert.equal((await api("POST", "/labels", { name: "x", scope: "p" })).status, 400);
    assert.deepEqual((await api("GET", "/labels?scope=g")).data.map((l: { name: string }) => l.name), ["prod"]);
    assert.deepEqual((await api("GET", `/labels?scope=p&project_id=${lab.id}`)).data.map((l: { name: string }) => l.name), ["team-a"]);

    const a = await pushImage(core.registry, "lab/web", "a", [layer("1")]);
    const b = await pushImage(core.registry, "lab/web", "b", [layer("2")]);
    await pushImage(core.registry, "lab/web", "c", [layer("3")]);
    const add = (ref: string, id: number) => api("POST", `/projects/lab/repositories/web/artifacts/${ref}/labels`, { id });
    assert.equal((await add("a", prod)).status, 200);
    assert.equal((await add("a", team)).status, 200);
    assert.equal((await add("b", prod)).status, 200);
    assert.equal((await add("b", prod)).status, 409);
    assert.equal((await add("c", foreign)).status, 400, "another project's label");
    assert.equal((await add("c", 999999)).status, 404);

    const list = async (q: string) => (await api("GET", `/projects/lab/repositories/web/artifacts?with_label=true&q=${encodeURIComponent(q)}`)).data.map((x: { digest: string }) => x.digest).sort();
    assert.deepEqual(await list(`labels=(${prod})`), [a.digest, b.digest].sort());
    assert.deepEqual(await list(`labels=(${prod} ${team})`), [a.digest]);
    assert.deepEqual(await list(`labels=${team}`), [a.digest]);
    assert.equal((await api("GET", `/projects/lab/repositories/web/artifacts?q=labels%3D(abc)`)).status, 400);
    const shown = (await api("GET", "/projects/lab/repositories/web/artifacts/a?with_label=true")).data.labels.map((l: { name: string }) => l.name);
    assert.deepEqual(shown, ["prod", "team-a"]);

    assert.equal((await api("DELETE", `/projects/lab/repositories/web/artifacts/a/labels/${team}`)).status, 200);
    assert.equal((await api("DELETE", `/projects/lab/repositories/web/artifacts/a/labels/${team}`)).status, 404);
    assert.deepEqual(await list(`labels=${team}`), []);
    // Deleting a label takes it off every artifact.
    assert.equal((await api("DELETE", `/labels/${prod}`)).status, 200);
    assert.deepEqual(await list(`labels=${prod}`), []);
  });
});

describe("tag retention policies and executions through the API", { skip: !enabled && "needs BERTH_TEST_PG_URL" }, () => {
  let projectId: number;
  const body = (rules: unknown[], cron = "", ref?: number) => ({ algorithm: "or", rules, trigger: { kind: "Schedule", settings: { cron } }, scope: { level: "project", ref: ref ?? projectId } });
  const keep = (template: string, params: Record<string, unknown>) => ({
    action: "retain",
    template,
    params,
    tag_selectors: [{ kind: "doublestar", decoration: "matches", pattern: "**", extras: '{"untagged":true}' }],
    scope_selectors: { repository: [{ kind: "doublestar", decoration: "repoMatches", pattern: "**" }] },
  });

  before(async () => {
    core = await startTestCore({ redis: "none" });
    assert.equal((await api("POST", "/projects", { project_name: "keep" })).status, 201);
    projectId = (await core.db.project.findUniqueOrThrow({ where: { name: "keep" } })).id;
  });
  after(async () => core?.close());

  test("metadatas list Harbor's templates", async () => {
    const res = await api("GET", "/retentions/metadatas");
    assert.equal(res.status, 200);
    assert.deepEqual(res.data.templates.map((t: { rule_template: string }) => t.rule_template).sort(), ["always", "latestPulledN", "latestPushedK", "nDaysSinceLastPull", "nDaysSinceLastPush"]);
  });

  test("bad policies: every problem named; sixteen rules refused; one policy per project", async () => {
    const bad = await api("POST", "/retentions", body([{ ...keep("latestPushedK", {}), template: "latestPushedK" }, keep("sometimes", {}), { ...keep("always", {}), tag_selectors: [{ decoration: "matches", pattern: "{a" }] }], "* * *"));
    assert.equal(bad.status, 400);
    const message = bad.data.errors[0].message as string;
    assert.match(message, /rules\[0\]\.params\.latestPushedK/);
    assert.match(message, /rules\[1\]\.template/);
    assert.match(message, /rules\[2\]\.tag_selectors\[0\]\.pattern: unclosed "\{"/);
    assert.equal((await api("POST", "/retentions", body([keep("always", {})], "not a cron"))).status, 400);
    assert.equal((await api("POST", "/retentions", body(Array.from({ length: 16 }, () => keep("always", {}))))).status, 400);
    assert.equal((await api("POST", "/retentions", body([keep("always", {})], "", 999999))).status, 404);
  });

  test("create, read, update with a schedule, run (dry and real), stop, delete", async () => {
    const created = await api("POST", "/retentions", body([keep("latestPushedK", { latestPushedK: 5 })]));
    assert.equal(created.status, 201, JSON.stringify(created.data));
    const id = Number(created.headers.get("location")!.split("/").pop());
    assert.equal((await api("POST", "/retentions", body([keep("always", {})]))).status, 409, "one policy per project");
    assert.equal((await api("GET", "/projects/keep")).data.metadata.retention_id, String(id));
    const got = (await api("GET", `/retentions/${id}`)).data;
    assert.equal(got.rules[0].template, "latestPushedK");
    assert.deepEqual(got.rules[0].params, { latestPushedK: 5 });
    assert.deepEqual(got.scope, { level: "project", ref: projectId });

    assert.equal((await api("PUT", `/retentions/${id}`, body([keep("nDaysSinceLastPull", { nDaysSinceLastPull: 7 })], "0 0 3 * * *"))).status, 200);
    assert.equal((await api("GET", `/retentions/${id}`)).data.trigger.settings.cron, "0 0 3 * * *");
    const changed = await core.db.outboxEvent.findMany({ where: { type: "retention.policy.changed" } });
    assert.ok(changed.length >= 2, "jobservice is told to re-read the schedule");

    const dry = await api("POST", `/retentions/${id}/executions`, { dry_run: true });
    assert.equal(dry.status, 201);
    const executionId = Number(dry.headers.get("location")!.split("/").pop());
    assert.equal((await api("POST", `/retentions/${id}/executions`, { dry_run: false })).status, 409, "one active execution at a time");
    const requested = await core.db.outboxEvent.findFirstOrThrow({ where: { type: "retention.requested" } });
    assert.deepEqual(requested.payload, { executionId: String(executionId), policyId: id, dryRun: true });
    const list = await api("GET", `/retentions/${id}/executions`);
    assert.equal(list.data[0].dry_run, true);
    assert.equal(list.data[0].status, "Pending");
    assert.equal((await api("PATCH", `/retentions/${id}/executions/${executionId}`, { action: "stop" })).status, 200);
    assert.equal((await api("GET", `/retentions/${id}/executions`)).data[0].status, "Stopped");
    assert.equal((await api("PATCH", `/retentions/${id}/executions/${executionId}`, { action: "go" })).status, 400);
    assert.deepEqual((await api("GET", `/retentions/${id}/executions/${executionId}/tasks`)).data, []);

    assert.equal((await api("DELETE", `/retentions/${id}`)).status, 200);
    assert.equal((await api("GET", `/retentions/${id}`)).status, 404);
    assert.equal((await api("GET", "/projects/keep")).data.metadata.retention_id, undefined);
  });

  test("a proxy-cache project's default policy: nDaysSinceLastPull 7, everything in scope", async () => {
    assert.equal((await api("POST", "/projects", { project_name: "cache" })).status, 201);
    const cache = await core.db.project.findUniqueOrThrow({ where: { name: "cache" } });
    const id = await core.db.$transaction((tx) => createDefaultProxyCacheRetention(tx, cache.id));
    const got = (await api("GET", `/retentions/${id}`)).data;
    assert.equal(got.rules.length, 1);
    assert.equal(got.rules[0].template, "nDaysSinceLastPull");
    assert.deepEqual(got.rules[0].params, { nDaysSinceLastPull: 7 });
    assert.equal(got.rules[0].tag_selectors[0].pattern, "**");
    assert.equal(JSON.parse(got.rules[0].tag_selectors[0].extras).untagged, true);
  });

  test("creating a proxy-cache project gives it the default policy", async () => {
    const endpoint = await core.db.registryEndpoint.create({ data: { name: "upstream", type: "docker-registry", url: "http://127.0.0.1:9" } });
    const project = await core.services.projects.create({ name: "proxied", public: false, metadata: {}, storageLimit: -1n, registryId: endpoint.id } as never, 1, { operator: "admin", operatorType: "user" });
    const policy = await core.db.retentionPolicy.findUniqueOrThrow({ where: { projectId: project.id } });
    assert.equal((project.metadata as { retention_id?: string }).retention_id, String(policy.id));
    assert.equal((policy.rules as { template: string }[])[0]!.template, "nDaysSinceLastPull");
  });
});
