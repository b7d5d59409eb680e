// The benchmark's sink (e2e/src/bench/sink-registry.ts), started as `npm run bench` starts it:
// its own process behind an nginx rendered from the proxy template. The benchmark's ceiling is only
// worth something if the sink does what the registries do on the push path: hash every byte and
// refuse a wrong digest, continue a chunked upload where it stands, remember what it received.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SinkTarget } from "./bench/sink-target.js";
import { HttpStatusError, makeSmallImage, pushImage, sha256, type Repo } from "./support/oci-client.js";
import { randomBytesOf } from "./bench/workloads/common.js";

describe("the benchmark's sink registry behind nginx", { timeout: 120_000 }, () => {
  let dir: string;
  let sink: SinkTarget;
  let repo: Repo;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "berth-sink-test-"));
    sink = await SinkTarget.start(dir, () => {});
    assert.equal(sink.unavailable, undefined, `the sink did not start: ${sink.unavailable}`);
    repo = await sink.repo("bench/sink-test");
  });

  after(async () => {
    await sink?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("takes a monolithic upload, hashes it, and knows the blob afterwards (and no other)", async () => {
    const data = randomBytesOf(3 * 1024 * 1024 + 17);
    const digest = sha256(data);
    assert.equal(await repo.blobSize(digest), undefined, "HEAD before the upload");
    await repo.pushBlobMonolithic(data, digest);
    assert.equal(await repo.blobSize(digest), data.length);
    assert.equal(await repo.blobSize(sha256(randomBytesOf(10))), undefined);
  });

  it("refuses a digest that does not match the bytes (400 DIGEST_INVALID), and does not remember the blob", async () => {
    const data = randomBytesOf(200_000);
    const wrong = sha256(randomBytesOf(32));
    const location = await repo.startUpload();
    const url = new URL(location, sink.baseUrl);
    url.searchParams.set("digest", wrong);
    const res = await fetch(url, { method: "PUT", body: data, headers: { "content-type": "application/octet-stream" } });
    const body = (await res.json()) as { errors: { code: string; message: string; detail: { expected: string; actual: string } }[] };
    assert.equal(res.status, 400);
    assert.equal(body.errors[0]?.code, "DIGEST_INVALID");
    assert.equal(body.errors[0]?.detail.expected, wrong);
    assert.equal(body.errors[0]?.detail.actual, sha256(data));
    assert.equal(await repo.blobSize(wrong), undefined);
    assert.equal(await repo.blobSize(sha256(data)), undefined);
  });

  it("continues a chunked upload: the Range grows with each PATCH, a gap is 416, the PUT checks all of it", async () => {
    const data = randomBytesOf(5 * 1024 * 1024 + 3);
    const chunk = 2 * 1024 * 1024;
    let location = await repo.startUpload();
    const ranges: string[] = [];
    for (let offset = 0; offset < data.length; offset += chunk) {
      const part = data.subarray(offset, Math.min(offset + chunk, data.length));
      const res = await repo.http.send({
        method: "PATCH",
        path: location,
        headers: { "content-type": "application/octet-stream", "content-range": `${offset}-${offset + part.length - 1}`, "content-length": String(part.length) },
        body: part,
        expect: [202],
      });
      ranges.push(String(res.headers["range"]));
      location = String(res.headers["location"]);
      if (offset === 0) {
        // A chunk that does not start where the upload stands is refused, and changes nothing.
        const gap = await fetch(new URL(location, sink.baseUrl), {
          method: "PATCH",
          body: Buffer.alloc(10),
          headers: { "content-type": "application/octet-stream", "content-range": `${part.length + 5}-${part.length + 14}` },
        });
        await gap.arrayBuffer();
        assert.equal(gap.status, 416);
        assert.equal(gap.headers.get("range"), `0-${part.length - 1}`);
      }
    }
    assert.deepEqual(ranges, [`0-${chunk - 1}`, `0-${2 * chunk - 1}`, `0-${data.length - 1}`]);
    const digest = sha256(data);
    const url = new URL(location, sink.baseUrl);
    url.searchParams.set("digest", digest);
    const put = await fetch(url, { method: "PUT", headers: { "content-length": "0" } });
    await put.arrayBuffer();
    assert.equal(put.status, 201);
    assert.equal(put.headers.get("docker-content-digest"), digest);
    assert.equal(await repo.blobSize(digest), data.length);
  });

  it("takes an image as docker pushes it and answers its manifest by tag and by digest", async () => {
    const image = makeSmallImage([4096, 1024], randomBytesOf, "sink-test");
    await pushImage(repo, image, "v1");
    for (const reference of ["v1", image.manifestDigest]) {
      const res = await repo.getManifest(reference);
      assert.equal(res.headers["docker-content-digest"], image.manifestDigest, reference);
      assert.equal(sha256(res.body), image.manifestDigest, reference);
    }
    await assert.rejects(repo.getManifest("v2"), (err: unknown) => err instanceof HttpStatusError && err.status === 404 && /MANIFEST_UNKNOWN/.test(err.message));
  });

  it("answers GET /service/token through the front door, as the benchmark's clients ask before a push", async () => {
    assert.deepEqual(await sink.fetchToken("repository:bench/sink-test:pull,push"), { authorization: "Bearer sink" });
  });
});
