// Project policies through the front door with real clients: tag immutability refuses docker's
// and skopeo's re-push of another image, skopeo's delete, the registry's DELETE of the tag and a
// re-tag through core's copy — each naming the rule — while the same image re-pushes fine; tag
// retention (latestPushedK or latestPulledN, pulls recorded by the registry) lists what would go
// in a dry run, deletes exactly that in the real run, and GC then frees the deleted layers;
// labels filter artifact lists.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CoreApi } from "./support/api.js";
import { Dockerd } from "./support/docker.js";
import type { RunResult } from "./support/exec.js";
import { eventually } from "./support/http.js";
import { ociImageLayout, tar, type Image } from "./support/images.js";
import { Skopeo } from "./support/skopeo.js";
import { startTestStack, type TestStack } from "./support/stack.js";

function succeeded(r: RunResult, what: string): void {
  assert.equal(r.code, 0, `${what} should succeed:\n${r.describe}`);
}

const selectors = (tags: string, repos = "**") => ({
  tag_selectors: [{ kind: "doublestar", decoration: "matches", pattern: tags }],
  scope_selectors: { repository: [{ kind: "doublestar", decoration: "repoMatches", pattern: repos }] },
});

describe("project policies through nginx with docker and skopeo", { timeout: 300_000 }, () => {
  let stack: TestStack;
  let api: CoreApi;
  let dockerd: Dockerd;
  let dockerReady: Promise<void>;
  const skopeo = new Skopeo();
  const work = mkdtempSync(join(tmpdir(), "berth-e2e-policies-"));
  let admin: string;
  const ref = (name: string) => `docker://${stack.registry}/${name}`;
  let n = 0;
  /** Pushes a fresh one-layer image with skopeo; returns it. */
  async function push(name: string): Promise<Image> {
    const dir = join(work, `layout-${++n}`);
    const image = ociImageLayout(dir, "t");
    succeeded(await skopeo.copy(`oci:${dir}:t`, ref(name), { destCreds: admin }), `skopeo push of ${name}`);
    return image;
  }
  const digestOf = async (name: string) => (await skopeo.inspectRaw(ref(name), admin)).digest;

  before(async () => {
    dockerd = new Dockerd();
    dockerReady = dockerd.start();
    dockerReady.catch(() => undefined);
    stack = await startTestStack("policies");
    api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    admin = `admin:${stack.adminPassword}`;
  });
  after(async () => {
    skopeo.cleanup();
    await Promise.all([stack?.stop(), dockerd?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  it("immutability: docker and skopeo cannot re-push, delete or re-tag a protected tag; the rule is named", async () => {
    await api.createProject("imm");
    await dockerReady;
    const reg = stack.registry;
    const rootfs = (text: string) => {
      const file = join(work, `rootfs-${++n}.tar`);
      writeFileSync(file, tar({ "hello.txt": text }));
      return file;
    };
    succeeded(await dockerd.login(reg, "admin", stack.adminPassword), "docker login");
    succeeded(await dockerd.import(rootfs("first\n"), `${reg}/imm/app:1.0`), "docker import");
    succeeded(await dockerd.docker(["push", `${reg}/imm/app:1.0`]), "docker push 1.0");
    const original = await digestOf("imm/app:1.0");
    await api.ok("POST", "/projects/imm/immutabletagrules", selectors("1.*"));
    const ruleId = ((await api.ok("GET", "/projects/imm/immutabletagrules")).body as { id: number }[])[0]!.id;

    // The same image again is fine (a retried CI push); another image under 1.0 is denied.
    succeeded(await dockerd.docker(["push", `${reg}/imm/app:1.0`]), "docker re-push of the same image");
    succeeded(await dockerd.import(rootfs("second\n"), `${reg}/imm/app:1.0`), "docker import");
    const repush = await dockerd.docker(["push", `${reg}/imm/app:1.0`]);
    assert.notEqual(repush.code, 0, "docker re-push of another image must fail");
    assert.match(repush.stdout + repush.stderr, new RegExp(`denied: tag 1\\.0 of imm/app is immutable .*immutability rule ${ruleId}`));

    const dir = join(work, "other-layout");
    ociImageLayout(dir, "t");
    const copy = await skopeo.copy(`oci:${dir}:t`, ref("imm/app:1.0"), { destCreds: admin });
    assert.notEqual(copy.code, 0, "skopeo overwrite must fail");
    assert.match(copy.stderr, /immutable/);
    const del = await skopeo.delete(ref("imm/app:1.0"), admin);
    assert.notEqual(del.code, 0, "skopeo delete must fail");
    assert.match(del.stderr, /immutable/);

    // The registry's tag DELETE: 403 DENIED naming the rule.
    const token = await api.token(["repository:imm/app:pull,push,delete"]);
    const res = await fetch(`${stack.baseUrl}/v2/imm/app/manifests/1.0`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 403);
    const body = (await res.json()) as { errors: { code: string; message: string; detail: { rule: number } }[] };
    assert.equal(body.errors[0]!.code, "DENIED");
    assert.equal(body.errors[0]!.detail.rule, ruleId);

    // Re-tag through core (copy another artifact onto 1.0) and the API's deletes.
    await push("imm/src:1.0");
    assert.equal((await api.request("POST", "/projects/imm/repositories/app/artifacts?from=imm/src:1.0")).status, 412);
    assert.equal((await api.request("DELETE", `/projects/imm/repositories/app/artifacts/${original}`)).status, 412);
    assert.equal(await digestOf("imm/app:1.0"), original, "1.0 still names the first image");
    // Tags outside the rule move freely.
    succeeded(await dockerd.docker(["tag", `${reg}/imm/app:1.0`, `${reg}/imm/app:dev`]), "docker tag");
    succeeded(await dockerd.docker(["push", `${reg}/imm/app:dev`]), "docker push dev");
  });

  it("retention: dry run, then the real run deletes what it listed; GC frees the layers; labels filter the list", async () => {
    const projectId = await api.createProject("ret");
    const images: Record<string, Image> = {};
    for (const tag of ["v1", "v2", "v3", "v4"]) images[tag] = await push(`ret/app:${tag}`);
    // v1 is pulled (GET of its manifest); v4 is the newest push.
    succeeded(await skopeo.inspect(ref("ret/app:v1"), admin), "pull of v1");
    await eventually(async () => {
      const a = (await api.ok("GET", "/projects/ret/repositories/app/artifacts/v1")).body as { pull_count: number };
      return a.pull_count > 0 ? true : undefined;
    }, 20_000, () => "v1's pull recorded");
    const repository = (await api.ok("GET", "/projects/ret/repositories/app")).body as { pull_count: number };
    assert.ok(repository.pull_count >= 1, `the repository's pull_count counts v1's pull: ${JSON.stringify(repository)}`);
    const keep = (template: string) => ({ template, params: { [template]: 1 }, ...selectors("v*") });
    const created = await api.ok("POST", "/retentions", { algorithm: "or", rules: [keep("latestPushedK"), keep("latestPulledN")], trigger: { kind: "Schedule", settings: { cron: "" } }, scope: { level: "project", ref: projectId } });
    const policy = created.headers.get("location")!.split("/").pop();

    async function execute(dryRun: boolean): Promise<string> {
      const started = await api.ok("POST", `/retentions/${policy}/executions`, { dry_run: dryRun });
      const id = started.headers.get("location")!.split("/").pop();
      await eventually(async () => {
        const list = (await api.ok("GET", `/retentions/${policy}/executions`)).body as { id: number; status: string }[];
        const e = list.find((x) => String(x.id) === id);
        return e && ["Success", "Error", "Stopped"].includes(e.status) ? (assert.equal(e.status, "Success"), true) : undefined;
      }, 60_000, () => `retention execution ${id}`);
      const tasks = (await api.ok("GET", `/retentions/${policy}/executions/${id}/tasks`)).body as { id: number; repository: string; total: number; retained: number }[];
      const log = (await api.ok("GET", `/retentions/${policy}/executions/${id}/tasks/${tasks[0]!.id}`)).text;
      const artifacts = (await api.ok("GET", "/projects/ret/repositories/app/artifacts?page_size=20")).body as { tags: { name: string }[]; push_time: string; pull_time: string; pull_count: number }[];
      const seen = artifacts.map((a) => `${a.tags?.map((t) => t.name).join(",")} pushed ${a.push_time} pulled ${a.pull_time} (${a.pull_count})`).join("\n");
      assert.deepEqual(tasks.map((t) => [t.repository, t.total, t.retained]), [["ret/app", 4, 2]], `${log}\n${seen}`);
      return log;
    }

    const dryLog = await execute(true);
    for (const tag of ["v2", "v3"]) assert.match(dryLog, new RegExp(`would delete ${images[tag]!.manifest.digest}`));
    for (const tag of ["v1", "v4"]) assert.match(dryLog, new RegExp(`retain ${images[tag]!.manifest.digest}`));
    // Presence through the API (a registry GET would be a pull, and move latestPulledN).
    const listed = async () => ((await api.ok("GET", "/projects/ret/repositories/app/artifacts?page_size=20")).body as { digest: string }[]).map((a) => a.digest).sort();
    const digests = (tags: string[]) => tags.map((t) => images[t]!.manifest.digest).sort();
    assert.deepEqual(await listed(), digests(["v1", "v2", "v3", "v4"]), "nothing deleted by the dry run");

    const log = await execute(false);
    for (const tag of ["v2", "v3"]) assert.match(log, new RegExp(`deleted ${images[tag]!.manifest.digest}`));
    assert.deepEqual(await listed(), digests(["v1", "v4"]), "v2 and v3 deleted");
    for (const tag of ["v2", "v3"]) assert.notEqual((await skopeo.inspectRaw(ref(`ret/app:${tag}`), admin)).result.code, 0, `${tag} is gone from the registry`);
    for (const tag of ["v1", "v4"]) assert.equal(await digestOf(`ret/app:${tag}`), images[tag]!.manifest.digest, `${tag} pulls`);

    // GC frees the deleted images' layers (no grace window).
    const gc = await api.ok("POST", "/system/gc/schedule", { schedule: { type: "Manual" }, parameters: { delete_untagged: false, time_window: 0, dry_run: false, workers: 1 } });
    const gcId = gc.headers.get("location")!.split("/").pop();
    const run = await eventually(async () => {
      const r = (await api.ok("GET", `/system/gc/${gcId}`)).body as { job_status: string; job_parameters: string };
      return r.job_status === "Success" || r.job_status === "Error" ? r : undefined;
    }, 120_000, () => `gc run ${gcId}`);
    assert.equal(run.job_status, "Success");
    const token = await api.token(["repository:ret/app:pull"]);
    const blobStatus = async (digest: string) => (await fetch(`${stack.baseUrl}/v2/ret/app/blobs/${digest}`, { method: "HEAD", headers: { authorization: `Bearer ${token}` } })).status;
    for (const tag of ["v2", "v3"]) assert.equal(await blobStatus(images[tag]!.layers[0]!.blob.digest), 404, `${tag}'s layer freed`);
    for (const tag of ["v1", "v4"]) assert.equal(await blobStatus(images[tag]!.layers[0]!.blob.digest), 200, `${tag}'s layer kept`);

    // Labels: added to v4, the list filtered by them.
    const label = (await api.ok("POST", "/labels", { name: "release", scope: "p", project_id: projectId })).headers.get("location")!.split("/").pop();
    await api.ok("POST", "/projects/ret/repositories/app/artifacts/v4/labels", { id: Number(label) });
    const labelled = (await api.ok("GET", `/projects/ret/repositories/app/artifacts?with_label=true&q=${encodeURIComponent(`labels=(${label})`)}`)).body as { digest: string; labels: { name: string }[] }[];
    assert.deepEqual(labelled.map((a) => a.digest), [images["v4"]!.manifest.digest]);
    assert.deepEqual(labelled[0]!.labels.map((l) => l.name), ["release"]);
  });
});
