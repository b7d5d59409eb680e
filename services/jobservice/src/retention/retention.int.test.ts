// Tag retention through jobservice against a real database, Redis and filesystem driver: a
// project with known pushes and pulls (rows backdated in the fixture; no clock is overridden),
// one repository per template, an untagged artifact, an immutable tag and a repository outside
// every rule's scope. A dry run only reports; the real run deletes exactly what the dry run
// listed, through registry-store; garbage collection then frees the deleted images' blobs.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Prisma } from "@berth/db";
import { ExecutionStore } from "@berth/executions";
import { blobDataPath, createGcRun } from "@berth/registry-store";
import { RETENTION_VENDOR_TYPE, type RetentionRule } from "@berth/retention";
import { PathNotFoundError } from "@berth/storage";
import { createPolicy, createProject, startReceiver, startTestJobservice, waitFor, type Receiver, type TestJobservice } from "../test-support.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"] && process.env["BERTH_TEST_REDIS_URL"]);
const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

const selector = (pattern: string, untagged = false) => ({ kind: "doublestar", decoration: "matches", pattern, ...(untagged && { extras: JSON.stringify({ untagged: true }) }) });
const scope = (pattern: string) => ({ repository: [{ kind: "doublestar", decoration: "repoMatches", pattern }] });
let ruleId = 0;
const rule = (template: RetentionRule["template"], n: number | undefined, repo: string, tags = "**", untagged = false): RetentionRule => ({
  id: ++ruleId,
  priority: ruleId,
  disabled: false,
  action: "retain",
  template,
  params: n === undefined ? {} : { [template]: n },
  tag_selectors: [selector(tags, untagged)],
  scope_selectors: scope(repo),
});

describe("tag retention executions", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let t: TestJobservice;
  let receiver: Receiver;
  let projectId: number;
  let policyId: number;
  /** name → digest and its layer's digest. */
  const images = new Map<string, { repo: string; digest: string; layer: string }>();

  async function push(repo: string, name: string, tag: string | undefined, age: { pushedDaysAgo: number; pulledDaysAgo?: number }): Promise<void> {
    const upload = async (bytes: Buffer) => {
      const digest = sha(bytes);
      await t.registry.uploads.uploadMonolithic(repo, digest as never, (async function* () { yield bytes; })(), bytes.length);
      return { digest, size: bytes.length };
    };
    const config = await upload(Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", image: name })));
    const layer = await upload(Buffer.from(`layer of ${repo} ${name}`));
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config }, layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }] }));
    const digest = sha(body);
    await t.registry.manifests.put(repo, (tag ? { kind: "tag", tag } : { kind: "digest", digest }) as never, body, OCI_MANIFEST);
    await t.db.$executeRaw`UPDATE manifests SET pushed_at = now() - make_interval(days => ${age.pushedDaysAgo}),
      pulled_at = CASE WHEN ${age.pulledDaysAgo ?? null}::int IS NULL THEN NULL ELSE now() - make_interval(days => ${age.pulledDaysAgo ?? 0}) END
      WHERE digest = ${digest}`;
    images.set(name, { repo, digest, layer: layer.digest });
  }

  async function run(dryRun: boolean) {
    const id = await t.db.$transaction(async (tx) => {
      const id = await ExecutionStore.create(tx, { vendorType: RETENTION_VENDOR_TYPE, vendorId: BigInt(policyId), trigger: "MANUAL", extraAttrs: { dry_run: dryRun } });
      await tx.outboxEvent.create({ data: { type: "retention.requested", payload: { executionId: String(id), policyId, dryRun } } });
      return id;
    });
    const execution = await waitFor(async () => {
      const e = await t.db.execution.findUniqueOrThrow({ where: { id }, include: { tasks: { orderBy: { id: "asc" } } } });
      return e.endTime ? e : undefined;
    }, 60_000, `retention execution ${id}`);
    return execution;
  }
  const present = async (name: string) => (await t.db.manifest.count({ where: { digest: images.get(name)!.digest } })) > 0;

  before(async () => {
    t = await startTestJobservice();
    receiver = await startReceiver();
    projectId = await createProject(t.db, "ret");
    await createPolicy(t.db, projectId, [{ address: `${receiver.url}/retention` }], ["TAG_RETENTION"]);
    // latestPushedK = 2 in ret/a: a3 and a4 are the newest; a1 carries an immutable tag; the untagged one is not selected.
    await push("ret/a", "a1", "1.0", { pushedDaysAgo: 40 });
    await push("ret/a", "a2", "a2", { pushedDaysAgo: 30 });
    await push("ret/a", "a3", "a3", { pushedDaysAgo: 3 });
    await push("ret/a", "a4", "a4", { pushedDaysAgo: 2 });
    await push("ret/a", "a-untagged", undefined, { pushedDaysAgo: 1 });
    // latestPulledN = 1 in ret/b: b1 pulled last; b3 never.
    await push("ret/b", "b1", "b1", { pushedDaysAgo: 30, pulledDaysAgo: 1 });
    await push("ret/b", "b2", "b2", { pushedDaysAgo: 1, pulledDaysAgo: 5 });
    await push("ret/b", "b3", "b3", { pushedDaysAgo: 1 });
    // nDaysSinceLastPush = 10 in ret/c.
    await push("ret/c", "c1", "c1", { pushedDaysAgo: 20 });
    await push("ret/c", "c2", "c2", { pushedDaysAgo: 5 });
    // nDaysSinceLastPull = 7 in ret/d.
    await push("ret/d", "d1", "d1", { pushedDaysAgo: 30, pulledDaysAgo: 3 });
    await push("ret/d", "d2", "d2", { pushedDaysAgo: 30, pulledDaysAgo: 10 });
    await push("ret/d", "d3", "d3", { pushedDaysAgo: 1 });
    // always, tags keep-*, untagged included, in ret/e.
    await push("ret/e", "e-keep", "keep-1", { pushedDaysAgo: 100 });
    await push("ret/e", "e-drop", "drop-1", { pushedDaysAgo: 1 });
    await push("ret/e", "e-untagged", undefined, { pushedDaysAgo: 100 });
    // No rule's scope selects ret/f.
    await push("ret/f", "f1", "f1", { pushedDaysAgo: 365 });

    await t.db.immutableTagRule.create({ data: { projectId, tagSelectors: [selector("1.*")], scopeSelectors: scope("a") } });
    const rules = [
      rule("latestPushedK", 2, "a"),
      rule("latestPulledN", 1, "b"),
      rule("nDaysSinceLastPush", 10, "c"),
      rule("nDaysSinceLastPull", 7, "d"),
      rule("always", undefined, "e", "keep-*", true),
    ];
    policyId = (await t.db.retentionPolicy.create({ data: { projectId, rules: rules as unknown as Prisma.InputJsonValue } })).id;
  });
  after(async () => {
    await t?.close();
    await receiver?.close();
  });

  const kept = ["a1", "a3", "a4", "b1", "c2", "d1", "e-keep", "e-untagged", "f1"];
  const gone = ["a2", "a-untagged", "b2", "b3", "c1", "d2", "d3", "e-drop"];

  it("a dry run lists what would go, per repository, and deletes nothing", async () => {
    const e = await run(true);
    assert.equal(e.status, "Success", e.statusMessage);
    assert.deepEqual(e.tasks.map((task) => (task.extraAttrs as { repository: string }).repository), ["ret/a", "ret/b", "ret/c", "ret/d", "ret/e"], "one task per repository in scope");
    const log = e.tasks.map((task) => task.log).join("");
    for (const name of gone) assert.match(log, new RegExp(`would delete ${images.get(name)!.digest}`), name);
    for (const name of kept.filter((n) => n !== "f1")) assert.match(log, new RegExp(`retain ${images.get(name)!.digest}`), name);
    assert.match(log, new RegExp(`retain ${images.get("a1")!.digest} \\[1\\.0\\]: immutable`));
    const a = e.tasks[0]!.extraAttrs as { total: number; retained: number; deleted: number };
    assert.deepEqual([a.total, a.retained, a.deleted], [5, 3, 2]);
    for (const name of [...kept, ...gone]) assert.ok(await present(name), `${name} is still there after a dry run`);
  });

  it("the real run deletes exactly those, with a retention.finished event; GC then frees their blobs", async () => {
    const e = await run(false);
    assert.equal(e.status, "Success", e.statusMessage);
    for (const name of kept) assert.ok(await present(name), `${name} retained`);
    for (const name of gone) assert.equal(await present(name), false, `${name} deleted`);
    assert.match(e.tasks.map((task) => task.log).join(""), new RegExp(`deleted ${images.get("a2")!.digest} \\[a2\\]`));
    const finished = await waitFor(() => t.db.outboxEvent.findFirst({ where: { type: "retention.finished", payload: { path: ["executionId"], equals: String(e.id) } } }), 10_000, "retention.finished");
    assert.equal((finished.payload as { status: string }).status, "Success");
    // Harbor's TAG_RETENTION webhook reaches the project's policy, naming what went.
    const hook = await waitFor(() => receiver.requests.map((r) => JSON.parse(r.body) as { type: string; event_data: { retention: { dry_run: boolean; status: string; total: number; retained: number; deleted_artifact: { name_tag: string }[] } } }).find((b) => b.type === "TAG_RETENTION" && !b.event_data.retention.dry_run), 20_000, "the TAG_RETENTION webhook");
    assert.equal(hook.event_data.retention.status, "Success");
    assert.deepEqual([hook.event_data.retention.total, hook.event_data.retention.retained], [kept.length - 1 + gone.length, kept.length - 1], "ret/f is in no rule's scope");
    assert.equal(hook.event_data.retention.deleted_artifact.length, gone.length);
    // The registry's deletes wrote their events (as DELETE through /v2/ does).
    assert.ok((await t.db.outboxEvent.count({ where: { type: "manifest.deleted", payload: { path: ["actor"], equals: "retention" } } })) >= gone.length);

    await t.db.$executeRaw`UPDATE blobs SET updated_at = updated_at - interval '3 hours'`;
    await t.db.$executeRaw`UPDATE repository_blobs SET created_at = created_at - interval '3 hours'`;
    const gcRun = await createGcRun(t.db, { dryRun: false, timeWindowHours: 1 }, "Manual");
    const gc = await waitFor(async () => {
      const r = await t.db.gcRun.findUniqueOrThrow({ where: { id: gcRun } });
      return r.status === "Success" || r.status === "Error" ? r : undefined;
    }, 30_000, "gc run");
    assert.equal(gc.status, "Success", gc.log);
    const fileExists = (digest: string) => t.driver.stat(blobDataPath(digest as never)).then(() => true, (err: unknown) => (err instanceof PathNotFoundError ? false : Promise.reject(err)));
    for (const name of gone) assert.equal(await fileExists(images.get(name)!.layer), false, `${name}'s layer freed`);
    for (const name of kept) assert.equal(await fileExists(images.get(name)!.layer), true, `${name}'s layer kept`);
    assert.ok(gc.freedBytes > 0n);
  });

  it("a stop request before it starts ends the execution Stopped, deleting nothing", async () => {
    await push("ret/c", "c3", "c3", { pushedDaysAgo: 50 });
    const id = await t.db.$transaction(async (tx) => {
      const id = await ExecutionStore.create(tx, { vendorType: RETENTION_VENDOR_TYPE, vendorId: BigInt(policyId), trigger: "MANUAL", extraAttrs: { dry_run: false } });
      await ExecutionStore.requestStop(tx, id);
      await tx.outboxEvent.create({ data: { type: "retention.requested", payload: { executionId: String(id), policyId, dryRun: false } } });
      return id;
    });
    const e = await waitFor(async () => {
      const row = await t.db.execution.findUniqueOrThrow({ where: { id } });
      return row.endTime ? row : undefined;
    }, 30_000, "stopped execution");
    assert.equal(e.status, "Stopped");
    assert.ok(await present("c3"));
  });
});
