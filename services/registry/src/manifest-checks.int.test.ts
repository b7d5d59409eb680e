/**
 * What a manifest PUT checks beyond its JSON: descriptor sizes against the stored content (config,
 * layers, an index's children), and error bodies that stay small however much is wrong.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startHarness, type Harness } from "./testing/harness.js";
import { OCI_INDEX, OCI_MANIFEST, content, imageIndex, pushBlob, pushImage, type Content } from "./testing/fixtures.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];

describe("manifest checks", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let h: Harness;
  let tok: string;
  const repo = "m/checks";
  const put = (ref: string, body: Buffer | string, type = OCI_MANIFEST) =>
    h.request("PUT", `/v2/${repo}/manifests/${ref}`, { token: tok, body, headers: { "Content-Type": type } });
  const manifest = (config: Content, layers: { digest: string; size: number }[], configSize = config.size) =>
    content(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: configSize },
        layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: l.digest, size: l.size })),
      }),
    );

  before(async () => {
    h = await startHarness(adminUrl!);
    tok = h.token([`repository:${repo}:pull,push`]);
  });
  after(() => h?.close());

  test("a layer or config descriptor whose size is not the stored blob's: 400 MANIFEST_INVALID, nothing written", async () => {
    const config = content('{"os":"linux","size-check":1}');
    const layer = content("a layer of twenty-nine bytes.");
    for (const b of [config, layer]) assert.equal(await pushBlob(h, repo, tok, b), 201);

    for (const [what, body, digest, declared, actual] of [
      ["layer one byte over", manifest(config, [{ digest: layer.digest, size: layer.size + 1 }]), layer.digest, layer.size + 1, layer.size],
      ["layer one byte short", manifest(config, [{ digest: layer.digest, size: layer.size - 1 }]), layer.digest, layer.size - 1, layer.size],
      ["config size", manifest(config, [{ digest: layer.digest, size: layer.size }], 2), config.digest, 2, config.size],
      // The same layer twice, the second time with a wrong size: every occurrence is checked.
      ["a repeated layer", manifest(config, [{ digest: layer.digest, size: layer.size }, { digest: layer.digest, size: 1 }]), layer.digest, 1, layer.size],
    ] as const) {
      const r = await put("sized", body.bytes);
      assert.equal(r.status, 400, what);
      assert.deepEqual(r.json().errors.map((e: { code: string }) => e.code), ["MANIFEST_INVALID"], what);
      assert.deepEqual(r.json().errors[0].detail, { digest, declared, actual }, what);
      const absent = await h.request("GET", `/v2/${repo}/manifests/${body.digest}`, { token: tok });
      assert.equal(absent.status, 404, `${what}: nothing stored`);
    }
    assert.equal((await h.request("GET", `/v2/${repo}/manifests/sized`, { token: tok })).status, 404);

    const right = manifest(config, [{ digest: layer.digest, size: layer.size }]);
    assert.equal((await put("sized", right.bytes)).status, 201);
  });

  test("an index whose child descriptor states another size than the child manifest: 400 MANIFEST_INVALID", async () => {
    const a = await pushImage(h, repo, tok, "child-a", "child-a");
    const lying = content(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: a.manifest.digest, size: a.manifest.size + 10 }] }),
    );
    const r = await put("index", lying.bytes, OCI_INDEX);
    assert.equal(r.status, 400);
    assert.deepEqual(r.json().errors[0], {
      code: "MANIFEST_INVALID",
      message: `descriptor of ${a.manifest.digest} states ${a.manifest.size + 10} bytes; the stored content has ${a.manifest.size}`,
      detail: { digest: a.manifest.digest, declared: a.manifest.size + 10, actual: a.manifest.size },
    });
    assert.equal((await put("index", imageIndex([a.manifest]).bytes, OCI_INDEX)).status, 201);
  });

  test("20,000 unknown layers: a small error body (100 entries, the last counting the rest)", async () => {
    const config = content('{"os":"linux","many":true}');
    assert.equal(await pushBlob(h, repo, tok, config), 201);
    const layers = Array.from({ length: 20_000 }, (_, i) => content(`missing layer ${i}`));
    const body = manifest(config, layers);
    assert.ok(body.size < 4 * 1024 * 1024, "under the manifest size limit");
    const r = await put("many", body.bytes);
    assert.equal(r.status, 400);
    assert.ok(r.body.length < 32 * 1024, `error body of ${r.body.length} bytes`);
    const errors = r.json().errors as { code: string; message: string; detail: Record<string, unknown> }[];
    assert.equal(errors.length, 100);
    assert.ok(errors.every((e) => e.code === "MANIFEST_BLOB_UNKNOWN"));
    assert.deepEqual(errors[0]!.detail, { digest: layers[0]!.digest });
    assert.deepEqual(errors[99], { code: "MANIFEST_BLOB_UNKNOWN", message: "and 19901 more such errors (not listed)", detail: { omitted: 19_901 } });
  });
});
