/**
 * The registry over the S3 driver (an in-process s3rver, 5 MiB parts): monolithic and chunked
 * uploads (multipart parts used), resumption on a second app instance sharing the database and
 * bucket, Range and HEAD, a 2-layer image, blob DELETE, digest mismatches leaving nothing
 * visible, and with `redirect` 307s to presigned URLs that serve the bytes without the token.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { S3Driver } from "@berth/storage";
import { startHarness, type Harness } from "./testing/harness.js";
import { content, OCI_MANIFEST, pushBlob, pushImage, type Content } from "./testing/fixtures.js";
import { recordS3Commands } from "@berth/storage/testing";

const adminUrl = process.env["BERTH_TEST_PG_URL"];
const skip = adminUrl === undefined && "BERTH_TEST_PG_URL is not set";
const MiB = 1024 * 1024;
const REPO = "lib/s3";

/** Every key of the bucket under the driver's root directory (hidden writer states included). */
async function bucketKeys(h: Harness, prefix = ""): Promise<string[]> {
  const { server, bucket } = h.s3!;
  const res = await fetch(`${server.endpoint}/${bucket}?list-type=2&prefix=${encodeURIComponent(`registry/${prefix}`)}`);
  assert.equal(res.status, 200);
  return [...(await res.text()).matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!.slice("registry/".length));
}

const blobKey = (digest: string) => `blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}/data`;

/** Upload objects and unfinished-writer states in the bucket. */
async function uploadKeys(h: Harness): Promise<string[]> {
  return [...(await bucketKeys(h, "uploads/")), ...(await bucketKeys(h, "~writers/"))];
}

/** Asserts the upload area is as it was (`before`: an earlier {@link uploadKeys}). */
async function assertNoUploadLeftovers(h: Harness, before: string[]): Promise<void> {
  assert.deepEqual(await uploadKeys(h), before, "no upload objects or writer states left behind");
}

/** Bytes whose digest nobody else uses. */
const random = (n: number): Content => content(randomBytes(n));

describe("registry on S3 (s3rver)", { skip }, () => {
  let h: Harness;
  let tok: string;
  let commands: string[];
  before(async () => {
    h = await startHarness(adminUrl!, { driver: "s3" });
    commands = recordS3Commands(h.instances[0]!.driver as S3Driver);
    tok = h.token([`repository:${REPO}:pull,push,delete`]);
  });
  after(() => h?.close());

  test("monolithic upload: one PutObject, the object at the blob path, no leftovers; HEAD and GET", async () => {
    const blob = random(300 * 1024);
    const leftovers = await uploadKeys(h);
    commands.length = 0;
    assert.equal(await pushBlob(h, REPO, tok, blob), 201);
    assert.ok(commands.includes("PutObjectCommand"));
    assert.ok(!commands.includes("CreateMultipartUploadCommand"), commands.join());
    assert.ok((await bucketKeys(h, "blobs/")).includes(blobKey(blob.digest)));
    assert.equal((await h.instances[0]!.driver.stat(`/${blobKey(blob.digest)}`)).size, blob.size);
    await assertNoUploadLeftovers(h, leftovers);
    const head = await h.request("HEAD", `/v2/${REPO}/blobs/${blob.digest}`, { token: tok });
    assert.equal(head.status, 200);
    assert.equal(head.headers["content-length"], String(blob.size));
    assert.equal(head.headers["docker-content-digest"], blob.digest);
    assert.equal(head.body.length, 0);
    const get = await h.request("GET", `/v2/${REPO}/blobs/${blob.digest}`, { token: tok });
    assert.equal(get.status, 200);
    assert.ok(get.body.equals(blob.bytes));
  });

  let multipart: Content;
  test("chunked upload, several PATCHes (one > 5 MiB): multipart parts, exact bytes, no leftovers", async () => {
    multipart = random(12 * MiB + 12345);
    const leftovers = await uploadKeys(h);
    const b = multipart.bytes;
    const cuts = [0, 1 * MiB, 7 * MiB + 3, 11 * MiB, b.length - 1000]; // PATCHes of 1, 6+, 4- MiB; PUT carries the rest
    commands.length = 0;
    const start = await h.request("POST", `/v2/${REPO}/blobs/uploads/`, { token: tok });
    assert.equal(start.status, 202);
    const location = String(start.headers["location"]);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [from, to] = [cuts[i]!, cuts[i + 1]!];
      const r = await h.request("PATCH", location, { token: tok, body: b.subarray(from, to), headers: { "Content-Range": `${from}-${to - 1}` } });
      assert.equal(r.status, 202, r.body.toString());
      assert.equal(r.headers["range"], `0-${to - 1}`);
    }
    // the status comes from the session row (S3 does not show unfinished bytes at the path)
    const status = await h.request("GET", location, { token: tok });
    assert.equal(status.status, 204);
    assert.equal(status.headers["range"], `0-${cuts.at(-1)! - 1}`);
    const put = await h.request("PUT", `${location}?digest=${multipart.digest}`, { token: tok, body: b.subarray(cuts.at(-1)!) });
    assert.equal(put.status, 201, put.body.toString());
    assert.equal(commands.filter((c) => c === "CreateMultipartUploadCommand").length, 1);
    assert.equal(commands.filter((c) => c === "UploadPartCommand").length, 3, "two full 5 MiB parts and the tail");
    assert.equal(commands.filter((c) => c === "CompleteMultipartUploadCommand").length, 1);
    await assertNoUploadLeftovers(h, leftovers);
    const get = await h.request("GET", `/v2/${REPO}/blobs/${multipart.digest}`, { token: tok });
    assert.equal(get.status, 200);
    assert.equal(get.headers["content-length"], String(multipart.size));
    assert.ok(get.body.equals(b), "the completed multipart object holds the exact bytes");
  });

  test("Range GET across a part boundary (206), suffix range, 416; HEAD", async () => {
    const path = `/v2/${REPO}/blobs/${multipart.digest}`;
    const from = 5 * MiB - 10;
    const r = await h.request("GET", path, { token: tok, headers: { Range: `bytes=${from}-${from + 19}` } });
    assert.equal(r.status, 206);
    assert.equal(r.headers["content-range"], `bytes ${from}-${from + 19}/${multipart.size}`);
    assert.ok(r.body.equals(multipart.bytes.subarray(from, from + 20)));
    const suffix = await h.request("GET", path, { token: tok, headers: { Range: "bytes=-7" } });
    assert.equal(suffix.status, 206);
    assert.ok(suffix.body.equals(multipart.bytes.subarray(-7)));
    const bad = await h.request("GET", path, { token: tok, headers: { Range: `bytes=${multipart.size}-` } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers["content-range"], `bytes */${multipart.size}`);
    const head = await h.request("HEAD", path, { token: tok });
    assert.equal(head.status, 200);
    assert.equal(head.headers["content-length"], String(multipart.size));
    assert.equal(head.body.length, 0);
  });

  // On S3 unfinished bytes cannot be read back (parts of an open multipart upload), so a session
  // carries its saved hash state in its row, and another instance resumes from it.
  test("an upload resumes on a second app instance (shared database and bucket, its own S3 client)", async () => {
    const second = await h.addInstance();
    const leftovers = await uploadKeys(h);
    const blob = random(8 * MiB + 777);
    const b = blob.bytes;
    const start = await h.request("POST", `/v2/${REPO}/blobs/uploads/`, { token: tok });
    const location = String(start.headers["location"]);
    // first instance: 6 MiB (one 5 MiB part uploaded, 1 MiB tail saved in the writer state)
    const a = await h.request("PATCH", location, { token: tok, body: b.subarray(0, 6 * MiB), headers: { "Content-Range": `0-${6 * MiB - 1}` } });
    assert.equal(a.status, 202);
    // second instance continues the same multipart upload
    const c = await h.request("PATCH", location, {
      token: tok,
      port: second.port,
      body: b.subarray(6 * MiB, 7 * MiB),
      headers: { "Content-Range": `${6 * MiB}-${7 * MiB - 1}` },
    });
    assert.equal(c.status, 202, c.body.toString());
    assert.equal(c.headers["range"], `0-${7 * MiB - 1}`);
    const status = await h.request("GET", location, { token: tok, port: second.port });
    assert.equal(status.headers["range"], `0-${7 * MiB - 1}`);
    // back on the first instance for the closing PUT
    const put = await h.request("PUT", `${location}?digest=${blob.digest}`, { token: tok, body: b.subarray(7 * MiB) });
    assert.equal(put.status, 201, put.body.toString());
    const get = await h.request("GET", `/v2/${REPO}/blobs/${blob.digest}`, { token: tok, port: second.port });
    assert.ok(get.body.equals(b));
    await assertNoUploadLeftovers(h, leftovers);
  });

  test("docker's pattern across instances: PATCH (whole blob) on one, the closing PUT without body on another", async () => {
    const second = h.instances[1] ?? (await h.addInstance());
    const blob = random(64 * 1024);
    const start = await h.request("POST", `/v2/${REPO}/blobs/uploads/`, { token: tok });
    const location = String(start.headers["location"]);
    assert.equal((await h.request("PATCH", location, { token: tok, body: blob.bytes })).status, 202);
    const put = await h.request("PUT", `${location}?digest=${blob.digest}`, { token: tok, port: second.port });
    assert.equal(put.status, 201, put.body.toString());
  });

  test("a 2-layer image: push, pull by tag and digest, layers read back", async () => {
    const { manifest, config, layers } = await pushImage(h, REPO, tok, "v1", "s3-image");
    for (const ref of ["v1", manifest.digest]) {
      const m = await h.request("GET", `/v2/${REPO}/manifests/${ref}`, { token: tok, headers: { Accept: OCI_MANIFEST } });
      assert.equal(m.status, 200);
      assert.equal(m.headers["docker-content-digest"], manifest.digest);
      assert.equal(m.headers["content-type"], OCI_MANIFEST);
      assert.ok(m.body.equals(manifest.bytes));
    }
    for (const blob of [config, ...layers]) {
      const g = await h.request("GET", `/v2/${REPO}/blobs/${blob.digest}`, { token: tok });
      assert.equal(g.status, 200);
      assert.ok(g.body.equals(blob.bytes));
    }
    const tags = await h.request("GET", `/v2/${REPO}/tags/list`, { token: tok });
    assert.deepEqual(tags.json().tags, ["v1"]);
  });

  test("blob DELETE: 202, then 404 BLOB_UNKNOWN; the object stays for GC", async () => {
    const blob = random(1000);
    assert.equal(await pushBlob(h, REPO, tok, blob), 201);
    const d = await h.request("DELETE", `/v2/${REPO}/blobs/${blob.digest}`, { token: tok });
    assert.equal(d.status, 202);
    for (const method of ["GET", "HEAD"]) {
      const g = await h.request(method, `/v2/${REPO}/blobs/${blob.digest}`, { token: tok });
      assert.equal(g.status, 404);
    }
    assert.ok((await bucketKeys(h, "blobs/")).includes(blobKey(blob.digest)), "content is GC's to delete");
  });

  test("a digest mismatch leaves nothing visible (monolithic and chunked)", async () => {
    const blob = random(6 * MiB); // more than one part: a multipart upload is started, then dropped
    const leftovers = await uploadKeys(h);
    const wrong = random(10);
    const before = await bucketKeys(h, "blobs/");
    const mono = await h.request("POST", `/v2/${REPO}/blobs/uploads/?digest=${wrong.digest}`, { token: tok, body: blob.bytes });
    assert.equal(mono.status, 400);
    assert.equal(mono.json().errors[0].code, "DIGEST_INVALID");
    await assertNoUploadLeftovers(h, leftovers);

    const start = await h.request("POST", `/v2/${REPO}/blobs/uploads/`, { token: tok });
    const location = String(start.headers["location"]);
    const p = await h.request("PATCH", location, { token: tok, body: blob.bytes, headers: { "Content-Range": `0-${blob.size - 1}` } });
    assert.equal(p.status, 202);
    const put = await h.request("PUT", `${location}?digest=${wrong.digest}`, { token: tok });
    assert.equal(put.status, 400);
    assert.equal(put.json().errors[0].code, "DIGEST_INVALID");
    for (const d of [blob.digest, wrong.digest]) {
      assert.equal((await h.request("HEAD", `/v2/${REPO}/blobs/${d}`, { token: tok })).status, 404);
    }
    assert.deepEqual(await bucketKeys(h, "blobs/"), before, "no blob object appeared");
    // the session stays resumable (its bytes unreadable at the path until committed); cancel drops it all
    assert.equal((await h.request("DELETE", location, { token: tok })).status, 204);
    await assertNoUploadLeftovers(h, leftovers);
  });
});

describe("registry on S3 with redirect", { skip }, () => {
  let h: Harness;
  let tok: string;
  before(async () => {
    h = await startHarness(adminUrl!, { driver: "s3", redirect: true });
    tok = h.token([`repository:${REPO}:pull,push`]);
  });
  after(() => h?.close());

  test("blob GET answers 307 to a presigned URL that serves the exact bytes without the token; Range through it", async () => {
    const blob = random(6 * MiB + 5); // a multipart object
    const start = await h.request("POST", `/v2/${REPO}/blobs/uploads/`, { token: tok });
    const location = String(start.headers["location"]);
    const put = await h.request("PUT", `${location}?digest=${blob.digest}`, { token: tok, body: blob.bytes });
    assert.equal(put.status, 201, put.body.toString());

    const r = await h.request("GET", `/v2/${REPO}/blobs/${blob.digest}`, { token: tok });
    assert.equal(r.status, 307);
    assert.equal(r.headers["docker-content-digest"], blob.digest);
    const url = String(r.headers["location"]);
    assert.ok(url.startsWith(`${h.s3!.server.endpoint}/${h.s3!.bucket}/registry/${blobKey(blob.digest)}?`), url);
    assert.match(url, /X-Amz-Signature=/);
    const direct = await fetch(url);
    assert.equal(direct.status, 200);
    assert.ok(Buffer.from(await direct.arrayBuffer()).equals(blob.bytes));

    // a client following the redirect with its Range header gets the range from S3
    const ranged = await h.request("GET", `/v2/${REPO}/blobs/${blob.digest}`, { token: tok, headers: { Range: "bytes=5242870-5242889" } });
    assert.equal(ranged.status, 307);
    const part = await fetch(String(ranged.headers["location"]), { headers: { Range: "bytes=5242870-5242889" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 5242870-5242889/${blob.size}`);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(blob.bytes.subarray(5242870, 5242890)));

    // (s3rver 3.7.1 does not verify presigned signatures or expiry, so a forged URL is not tested here)
    // HEAD is answered by the registry itself
    const head = await h.request("HEAD", `/v2/${REPO}/blobs/${blob.digest}`, { token: tok });
    assert.equal(head.status, 200);
    assert.equal(head.headers["content-length"], String(blob.size));
    // without a token there is no redirect at all
    assert.equal((await h.request("GET", `/v2/${REPO}/blobs/${blob.digest}`)).status, 401);
  });
});
