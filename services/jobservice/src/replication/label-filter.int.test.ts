// A replication policy's label filter in a real execution (PostgreSQL, Redis, jobservice's
// outbox relay and replication.execute): push mode from this Berth, whose artifacts carry labels
// (rows of `labels`/`artifact_labels`, as core's label API writes them). The execution's tasks
// name exactly the artifacts the filter selects: `matches` every listed label, `excludes` none.
// The destination is a registry endpoint nothing listens on: only the selection is asserted here
// (copies are proven by replication's e2e).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ExecutionStore } from "@berth/executions";
import { REPLICATION_VENDOR_TYPE } from "@berth/replication";
import { createProject, startTestJobservice, waitFor, type TestJobservice } from "../test-support.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"] && process.env["BERTH_TEST_REDIS_URL"]);
const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("replication's label filter", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let t: TestJobservice;
  let endpointId: number;
  const labels: Record<string, number> = {};

  async function push(repo: string, tag: string, withLabels: string[]): Promise<void> {
    const upload = async (bytes: Buffer) => {
      const digest = sha(bytes);
      await t.registry.uploads.uploadMonolithic(repo, digest as never, (async function* () { yield bytes; })(), bytes.length);
      return { digest, size: bytes.length };
    };
    const config = await upload(Buffer.from(`{"architecture":"amd64","os":"linux","tag":"${repo}:${tag}"}`));
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config }, layers: [] }));
    await t.registry.manifests.put(repo, { kind: "tag", tag } as never, body, "application/vnd.oci.image.manifest.v1+json");
    const manifest = await t.db.manifest.findFirstOrThrow({ where: { digest: sha(body) } });
    for (const name of withLabels) await t.db.artifactLabel.create({ data: { manifestId: manifest.id, labelId: labels[name]! } });
  }

  async function selected(filters: unknown[]): Promise<string[]> {
    const policy = await t.db.replicationPolicy.create({ data: { name: `p-${Math.random()}`, destRegistryId: endpointId, filters: filters as never, creator: "admin" } });
    const id = await t.db.$transaction(async (tx) => {
      const id = await ExecutionStore.create(tx, { vendorType: REPLICATION_VENDOR_TYPE, vendorId: BigInt(policy.id), trigger: "MANUAL", extraAttrs: {} });
      await tx.outboxEvent.create({ data: { type: "replication.requested", payload: { executionId: String(id), policyId: policy.id, trigger: "MANUAL" } } });
      return id;
    });
    const tasks = await waitFor(async () => {
      const e = await t.db.execution.findUniqueOrThrow({ where: { id }, include: { tasks: true } });
      return e.tasks.length > 0 || e.endTime ? e.tasks : undefined;
    }, 30_000, "the execution's tasks");
    await t.db.$transaction((tx) => ExecutionStore.requestStop(tx, id));
    return tasks.flatMap((task) => (task.extraAttrs as { src_repository: string; artifacts: { tags: string[] }[] }).artifacts.flatMap((a) => a.tags.map((tag) => `${(task.extraAttrs as { src_repository: string }).src_repository}:${tag}`))).sort();
  }

  before(async () => {
    t = await startTestJobservice({ jobOptions: { "replication.task": { attempts: 1 } } });
    await createProject(t.db, "lbl");
    for (const name of ["prod", "qa"]) labels[name] = (await t.db.label.create({ data: { name, scope: "g" } })).id;
    await push("lbl/web", "both", ["prod", "qa"]);
    await push("lbl/web", "prod-only", ["prod"]);
    await push("lbl/web", "none", []);
    await push("lbl/api", "qa-only", ["qa"]);
    endpointId = (await t.db.registryEndpoint.create({ data: { name: "nowhere", type: "docker-registry", url: "http://127.0.0.1:9" } })).id;
  });
  after(async () => t?.close());

  it("matches: artifacts carrying every listed label", async () => {
    assert.deepEqual(await selected([{ type: "label", value: ["prod"], decoration: "matches" }]), ["lbl/web:both", "lbl/web:prod-only"]);
    assert.deepEqual(await selected([{ type: "label", value: ["prod", "qa"], decoration: "matches" }]), ["lbl/web:both"]);
  });

  it("excludes: artifacts carrying none of them; with a name filter too", async () => {
    assert.deepEqual(await selected([{ type: "label", value: ["qa"], decoration: "excludes" }]), ["lbl/web:none", "lbl/web:prod-only"]);
    assert.deepEqual(await selected([{ type: "name", value: "lbl/api", decoration: "matches" }, { type: "label", value: ["qa"], decoration: "matches" }]), ["lbl/api:qa-only"]);
  });

  it("no label filter: everything", async () => {
    assert.deepEqual(await selected([]), ["lbl/api:qa-only", "lbl/web:both", "lbl/web:none", "lbl/web:prod-only"]);
  });
});
