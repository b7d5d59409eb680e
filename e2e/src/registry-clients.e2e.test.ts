// The registry through nginx with a real client: skopeo copies in and out (login through core's
// token service), Docker v2s2 and OCI, multi-layer, a multi-arch index; digests survive round
// trips byte for byte; tags list, catalog and ranged blob GETs through the front door.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreApi } from "./support/api.js";
import { makeImage, makeIndex, sha256, writeDirImage, writeOciLayout, type Blob, type Image } from "./support/images.js";
import { Skopeo } from "./support/skopeo.js";
import { startTestStack, type TestStack } from "./support/stack.js";

describe("registry through nginx with skopeo", { timeout: 300_000 }, () => {
  let stack: TestStack;
  let skopeo: Skopeo;
  let admin: string;
  const work = mkdtempSync(join(tmpdir(), "berth-e2e-clients-"));

  before(async () => {
    stack = await startTestStack("clients");
    skopeo = new Skopeo();
    admin = `admin:${stack.adminPassword}`;
  });

  after(async () => {
    skopeo?.cleanup();
    rmSync(work, { recursive: true, force: true });
    await stack?.stop();
  });

  const ref = (repo: string) => `docker://${stack.registry}/${repo}`;

  /** Pushes `src`, checks the served bytes hash to `top.digest`, pulls back into an OCI layout and checks again. */
  async function roundTrip(src: string, repo: string, top: Blob, all = false): Promise<void> {
    const push = await skopeo.copy(src, ref(repo), { destCreds: admin, all, preserveDigests: true });
    assert.equal(push.code, 0, push.describe);
    const served = await skopeo.inspectRaw(ref(repo), admin);
    assert.equal(served.result.code, 0, served.result.describe);
    assert.equal(served.digest, top.digest, "the registry serves the manifest bytes that were pushed");
    assert.equal(served.raw, top.data.toString("utf8"));
    const back = join(work, `pull-${repo.replace(/[/:]/g, "_")}`);
    const pull = await skopeo.copy(ref(repo), `oci:${back}:t`, { srcCreds: admin, all, preserveDigests: true });
    assert.equal(pull.code, 0, pull.describe);
    const index = JSON.parse(readFileSync(join(back, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    assert.equal(index.manifests[0]?.digest, top.digest, "the pulled layout names the same digest");
    assert.equal(sha256(readFileSync(join(back, "blobs", "sha256", top.digest.slice(7)))), top.digest);
    // And once more, registry → registry: the copy keeps the digest.
    const again = await skopeo.copy(ref(repo), ref(`${repo.split(":")[0]}-copy:t`), { srcCreds: admin, destCreds: admin, all, preserveDigests: true });
    assert.equal(again.code, 0, again.describe);
    assert.equal((await skopeo.inspectRaw(ref(`${repo.split(":")[0]}-copy:t`), admin)).digest, top.digest);
  }

  it("OCI image with three layers: push, pull, copy keep the digest", async () => {
    const image = makeImage("oci", { layerCount: 3 });
    const dir = join(work, "oci3");
    writeOciLayout(dir, { v1: { top: image.manifest, images: [image] } });
    await roundTrip(`oci:${dir}:v1`, "library/oci-multi:v1", image.manifest);
  });

  it("Docker v2s2 image: push, pull, copy keep the digest", async () => {
    const image = makeImage("v2s2", { layerCount: 2 });
    const dir = join(work, "v2s2");
    writeDirImage(dir, image);
    await roundTrip(`dir:${dir}`, "library/docker-v2s2:v1", image.manifest);
    const inspect = await skopeo.inspect(ref("library/docker-v2s2:v1"), admin);
    assert.equal(inspect.code, 0, inspect.describe);
    assert.equal((JSON.parse(inspect.stdout) as { Layers: string[] }).Layers.length, 2);
  });

  let amd64: Image;
  it("multi-arch OCI index: copy --all keeps the index and every child", async () => {
    amd64 = makeImage("oci", { architecture: "amd64" });
    const arm64 = makeImage("oci", { architecture: "arm64" });
    const index = makeIndex("oci", [amd64, arm64]);
    const dir = join(work, "multi");
    writeOciLayout(dir, { v1: { top: index, images: [amd64, arm64] } });
    await roundTrip(`oci:${dir}:v1`, "library/multiarch:v1", index, true);
    for (const child of [amd64, arm64]) {
      const served = await skopeo.inspectRaw(ref(`library/multiarch@${child.manifest.digest}`), admin);
      assert.equal(served.digest, child.manifest.digest, served.result.describe);
    }
  });

  it("tags list and catalog through nginx", async () => {
    const extra = makeImage("oci");
    const dir = join(work, "tags");
    writeOciLayout(dir, { a: { top: extra.manifest, images: [extra] } });
    for (const tag of ["v2", "v3"]) {
      const r = await skopeo.copy(`oci:${dir}:a`, ref(`library/oci-multi:${tag}`), { destCreds: admin });
      assert.equal(r.code, 0, r.describe);
    }
    const tags = await skopeo.listTags(ref("library/oci-multi"), admin);
    assert.equal(tags.code, 0, tags.describe);
    assert.deepEqual((JSON.parse(tags.stdout) as { Tags: string[] }).Tags.sort(), ["v1", "v2", "v3"]);

    const api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    const token = await api.token(["registry:catalog:*"]);
    const res = await fetch(`${stack.baseUrl}/v2/_catalog`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const catalog = (await res.json()) as { repositories: string[] };
    for (const repo of ["library/oci-multi", "library/docker-v2s2", "library/multiarch", "library/multiarch-copy"]) {
      assert.ok(catalog.repositories.includes(repo), `${repo} in ${JSON.stringify(catalog)}`);
    }
    // Paged: n=2 answers two and a Link to the rest.
    const paged = await fetch(`${stack.baseUrl}/v2/_catalog?n=2`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(paged.status, 200);
    assert.equal(((await paged.json()) as { repositories: string[] }).repositories.length, 2);
    assert.match(paged.headers.get("link") ?? "", /rel="next"/);
  });

  it("blob GET with Range through nginx", async () => {
    const layer = amd64.layers[0]!.blob;
    const api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    const token = await api.token(["repository:library/multiarch:pull"]);
    const url = `${stack.baseUrl}/v2/library/multiarch/blobs/${layer.digest}`;
    const full = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(full.status, 200);
    assert.equal(sha256(Buffer.from(await full.arrayBuffer())), layer.digest);
    const part = await fetch(url, { headers: { authorization: `Bearer ${token}`, range: "bytes=10-99" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 10-99/${layer.size}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), layer.data.subarray(10, 100));
    const tail = await fetch(url, { headers: { authorization: `Bearer ${token}`, range: "bytes=-16" } });
    assert.equal(tail.status, 206);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), layer.data.subarray(layer.size - 16));
    const bad = await fetch(url, { headers: { authorization: `Bearer ${token}`, range: `bytes=${layer.size + 10}-` } });
    assert.equal(bad.status, 416);
    await bad.arrayBuffer();
  });
});
