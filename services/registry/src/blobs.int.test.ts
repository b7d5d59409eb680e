/** Blob reads, monolithic and chunked uploads, resumption on another instance, mounts, deletes. */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startHarness, type Harness } from "./testing/harness.js";
import { content, pushBlob } from "./testing/fixtures.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];

describe("registry blobs and uploads", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let h: Harness;
  let tok: string;
  before(async () => {
    h = await startHarness(adminUrl!);
    tok = h.token(["repository:lib/blobs:pull,push,delete", "repository:lib/src:pull,push", "repository:lib/dst:pull,push", "repository:lib/nopull:push"]);
  });
  after(() => h?.close());

  test("monolithic POST ?digest=: 201, Location, Docker-Content-Digest; HEAD and GET", async () => {
    const blob = content("hello, registry! ".repeat(10));
    const r = await h.request("POST", `/v2/lib/blobs/blobs/uploads/?digest=${blob.digest}`, { token: tok, body: blob.bytes });
    assert.equal(r.status, 201);
    assert.equal(r.headers["location"], `/v2/lib/blobs/blobs/${blob.digest}`);
    assert.equal(r.headers["docker-content-digest"], blob.digest);
    const head = await h.request("HEAD", `/v2/lib/blobs/blobs/${blob.digest}`, { token: tok });
    assert.equal(head.status, 200);
    assert.equal(head.headers["content-length"], String(blob.size));
    assert.equal(head.headers["docker-content-digest"], blob.digest);
    assert.equal(head.body.length, 0);
    const get = await h.request("GET", `/v2/lib/blobs/blobs/${blob.digest}`, { token: tok });
    assert.equal(get.status, 200);
    assert.deepEqual(get.body, blob.bytes);
    assert.equal(get.headers["content-type"], "application/octet-stream");
  });

  test("Range: 206 with Content-Range, suffix ranges, 416 when unsatisfiable", async () => {
    const blob = content("0123456789abcdef");
    assert.equal(await pushBlob(h, "lib/blobs", tok, blob), 201);
    const path = `/v2/lib/blobs/blobs/${blob.digest}`;
    const r = await h.request("GET", path, { token: tok, headers: { Range: "bytes=2-5" } });
    assert.equal(r.status, 206);
    assert.equal(r.headers["content-range"], "bytes 2-5/16");
    assert.equal(r.body.toString(), "2345");
    const open = await h.request("GET", path, { token: tok, headers: { Range: "bytes=10-" } });
    assert.equal(open.body.toString(), "abcdef");
    const past = await h.request("GET", path, { token: tok, headers: { Range: "bytes=14-100" } });
    assert.equal(past.headers["content-range"], "bytes 14-15/16");
    const suffix = await h.request("GET", path, { token: tok, headers: { Range: "bytes=-3" } });
    assert.equal(suffix.body.toString(), "def");
    const bad = await h.request("GET", path, { token: tok, headers: { Range: "bytes=16-20" } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers["content-range"], "bytes */16");
    assert.equal(bad.headers["content-type"], "application/json; charset=utf-8");
    assert.deepEqual(bad.json().errors.map((e: { code: string }) => e.code), ["RANGE_INVALID"]);
    assert.deepEqual(bad.json().errors[0].detail, { size: 16 });
    assert.equal(bad.headers["cache-control"], undefined, "an error is not cacheable for a year");
    const ignored = await h.request("GET", path, { token: tok, headers: { Range: "bytes=0-1,4-5" } });
    assert.equal(ignored.status, 200);
  });

  test("chunked upload: POST, PATCH, out-of-order 416, status, PUT with final chunk", async () => {
    const blob = content(Buffer.from("abcdefghijklmnopqrstuvwxyz"));
    const start = await h.request("POST", "/v2/lib/blobs/blobs/uploads/", { token: tok });
    assert.equal(start.status, 202);
    const location = String(start.headers["location"]);
    assert.match(location, /^\/v2\/lib\/blobs\/blobs\/uploads\/[0-9a-f-]{36}$/);
    assert.equal(start.headers["range"], "0-0");
    assert.equal(start.headers["docker-upload-uuid"], location.split("/").pop());
    assert.equal(start.headers["content-length"], "0");

    const p1 = await h.request("PATCH", location, { token: tok, body: blob.bytes.subarray(0, 10), headers: { "Content-Range": "0-9", "Content-Type": "application/octet-stream" } });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers["range"], "0-9");
    assert.equal(p1.headers["location"], location);

    const overlap = await h.request("PATCH", location, { token: tok, body: blob.bytes.subarray(5, 15), headers: { "Content-Range": "5-14" } });
    assert.equal(overlap.status, 416);
    assert.equal(overlap.headers["range"], "0-9");
    assert.equal(overlap.headers["location"], location);
    assert.equal(overlap.json().errors[0].code, "RANGE_INVALID");
    const gap = await h.request("PATCH", location, { token: tok, body: blob.bytes.subarray(12, 15), headers: { "Content-Range": "12-14" } });
    assert.equal(gap.status, 416);

    const status = await h.request("GET", location, { token: tok });
    assert.equal(status.status, 204);
    assert.equal(status.headers["range"], "0-9");
    assert.equal(status.headers["location"], location);
    assert.equal(status.headers["docker-upload-uuid"], location.split("/").pop());

    const p2 = await h.request("PATCH", location, { token: tok, body: blob.bytes.subarray(10, 20), headers: { "Content-Range": "10-19" } });
    assert.equal(p2.headers["range"], "0-19");
    const put = await h.request("PUT", `${location}?digest=${blob.digest}`, { token: tok, body: blob.bytes.subarray(20), headers: { "Content-Range": "20-25" } });
    assert.equal(put.status, 201);
    assert.equal(put.headers["location"], `/v2/lib/blobs/blobs/${blob.digest}`);
    assert.equal(put.headers["docker-content-digest"], blob.digest);
    const get = await h.request("GET", `/v2/lib/blobs/blobs/${blob.digest}`, { token: tok });
    assert.deepEqual(get.body, blob.bytes);
    const gone = await h.request("GET", location, { token: tok });
    assert.equal(gone.status, 404);
    assert.equal(gone.json().errors[0].code, "BLOB_UPLOAD_UNKNOWN");
  });

  test("streamed PATCH without Content-Range, then PUT without a body", async () => {
    const blob = content("streamed-bytes-".repeat(1000));
    const start = await h.request("POST", "/v2/lib/blobs/blobs/uploads/", { token: tok });
    const location = String(start.headers["location"]);
    await h.request("PATCH", location, { token: tok, body: blob.bytes.subarray(0, 7000) });
    const p = await h.request("PATCH", location, { token: tok, body: blob.bytes.subarray(7000) });
    assert.equal(p.headers["range"], `0-${blob.size - 1}`);
    const put = await h.request("PUT", `${location}?digest=${blob.digest}`, { token: tok });
    assert.equal(put.status, 201);
  });

  test("an upload resumes on a second instance (saved hash state, and re-hash without it)", async () => {
    const second = await h.addInstance();
    for (const dropState of [false, true]) {
      const blob = content(`resumable-${dropState}-`.repeat(5000));
      const start = await h.request("POST", "/v2/lib/blobs/blobs/uploads/", { token: tok });
      const location = String(start.headers["location"]);
      const a = await h.request("PATCH", location, { token: tok, body: blob.bytes.subarray(0, 30001), headers: { "Content-Range": "0-30000" } });
      assert.equal(a.status, 202);
      if (dropState) await h.prisma.$executeRawUnsafe(`UPDATE upload_sessions SET hash_state = NULL`);
      const b = await h.request("PATCH", location, { token: tok, port: second.port, body: blob.bytes.subarray(30001, 60000), headers: { "Content-Range": `30001-59999` } });
      assert.equal(b.status, 202);
      assert.equal(b.headers["range"], "0-59999");
      const put = await h.request("PUT", `${location}?digest=${blob.digest}`, { token: tok, port: second.port, body: blob.bytes.subarray(60000) });
      assert.equal(put.status, 201, put.body.toString());
      const get = await h.request("GET", `/v2/lib/blobs/blobs/${blob.digest}`, { token: tok });
      assert.deepEqual(get.body, blob.bytes);
    }
  });

  test("digest mismatch, size mismatch, missing digest, cancel", async () => {
    const blob = content("some bytes");
    const wrong = content("other bytes");
    const mono = await h.request("POST", `/v2/lib/blobs/blobs/uploads/?digest=${wrong.digest}`, { token: tok, body: blob.bytes });
    assert.equal(mono.status, 400);
    assert.equal(mono.json().errors[0].code, "DIGEST_INVALID");
    const head = await h.request("HEAD", `/v2/lib/blobs/blobs/${wrong.digest}`, { token: tok });
    assert.equal(head.status, 404);

    const start = await h.request("POST", "/v2/lib/blobs/blobs/uploads/", { token: tok });
    const location = String(start.headers["location"]);
    const noDigest = await h.request("PUT", location, { token: tok, body: blob.bytes });
    assert.equal(noDigest.status, 400);
    assert.equal(noDigest.json().errors[0].code, "DIGEST_INVALID");
    const size = await h.request("PATCH", location, { token: tok, body: "abc", headers: { "Content-Range": "0-9", "Content-Length": 3 } });
    assert.equal(size.status, 400);
    assert.equal(size.json().errors[0].code, "SIZE_INVALID");
    const cancel = await h.request("DELETE", location, { token: tok });
    assert.equal(cancel.status, 204);
    const after = await h.request("PATCH", location, { token: tok, body: "x" });
    assert.equal(after.status, 404);
    assert.equal(after.json().errors[0].code, "BLOB_UPLOAD_UNKNOWN");
  });

  test("an upload session belongs to its repository", async () => {
    const start = await h.request("POST", "/v2/lib/src/blobs/uploads/", { token: tok });
    const id = String(start.headers["docker-upload-uuid"]);
    const r = await h.request("GET", `/v2/lib/dst/blobs/uploads/${id}`, { token: tok });
    assert.equal(r.status, 404);
    assert.equal(r.json().errors[0].code, "BLOB_UPLOAD_UNKNOWN");
  });

  test("cross-repository mount: 201 with pull on the source, 202 session otherwise", async () => {
    const blob = content("mount me");
    assert.equal(await pushBlob(h, "lib/src", tok, blob), 201);
    const m = await h.request("POST", `/v2/lib/dst/blobs/uploads/?mount=${blob.digest}&from=lib/src`, { token: tok });
    assert.equal(m.status, 201);
    assert.equal(m.headers["location"], `/v2/lib/dst/blobs/${blob.digest}`);
    assert.equal(m.headers["docker-content-digest"], blob.digest);
    assert.equal((await h.request("HEAD", `/v2/lib/dst/blobs/${blob.digest}`, { token: tok })).status, 200);

    const pushOnly = h.token(["repository:lib/nopull:push"]);
    const denied = await h.request("POST", `/v2/lib/nopull/blobs/uploads/?mount=${blob.digest}&from=lib/src`, { token: pushOnly });
    assert.equal(denied.status, 202);
    assert.ok(denied.headers["docker-upload-uuid"]);

    const unknown = content("never uploaded");
    const u = await h.request("POST", `/v2/lib/dst/blobs/uploads/?mount=${unknown.digest}&from=lib/src`, { token: tok });
    assert.equal(u.status, 202);
    const already = await h.request("POST", `/v2/lib/dst/blobs/uploads/?mount=${blob.digest}`, { token: tok });
    assert.equal(already.status, 201);
  });

  test("DELETE blob unlinks it: 202, then 404 BLOB_UNKNOWN", async () => {
    const blob = content("delete me");
    assert.equal(await pushBlob(h, "lib/blobs", tok, blob), 201);
    const d = await h.request("DELETE", `/v2/lib/blobs/blobs/${blob.digest}`, { token: tok });
    assert.equal(d.status, 202);
    const g = await h.request("GET", `/v2/lib/blobs/blobs/${blob.digest}`, { token: tok });
    assert.equal(g.status, 404);
    assert.equal(g.json().errors[0].code, "BLOB_UNKNOWN");
    const again = await h.request("DELETE", `/v2/lib/blobs/blobs/${blob.digest}`, { token: tok });
    assert.equal(again.status, 404);
    // re-upload of the same content links it again (content already present)
    assert.equal(await pushBlob(h, "lib/blobs", tok, blob), 201);
    assert.equal((await h.request("GET", `/v2/lib/blobs/blobs/${blob.digest}`, { token: tok })).body.toString(), "delete me");
  });

  test("an empty blob uploads and reads back", async () => {
    const blob = content("");
    assert.equal(await pushBlob(h, "lib/blobs", tok, blob), 201);
    const g = await h.request("GET", `/v2/lib/blobs/blobs/${blob.digest}`, { token: tok });
    assert.equal(g.status, 200);
    assert.equal(g.headers["content-length"], "0");
  });
});

describe("blob downloads through the front proxy's internal location", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let h: Harness;
  let tok: string;
  before(async () => {
    h = await startHarness(adminUrl!, { internalRedirectLocation: "/_berth_blobs/" });
    tok = h.token(["repository:lib/accel:pull,push"]);
  });
  after(() => h?.close());

  test("GET answers X-Accel-Redirect to the file the driver stores; HEAD, 416 and conditional GETs stay here", async () => {
    const blob = content("sent by nginx ".repeat(100));
    assert.equal(await pushBlob(h, "lib/accel", tok, blob), 201);
    const path = `/v2/lib/accel/blobs/${blob.digest}`;
    const get = await h.request("GET", path, { token: tok });
    assert.equal(get.status, 200);
    assert.equal(get.body.length, 0);
    assert.equal(get.headers["docker-content-digest"], blob.digest);
    const target = String(get.headers["x-accel-redirect"]);
    assert.match(target, /^\/_berth_blobs\//);
    // nginx's `alias <storage root>/` maps the location onto the driver's root: that file is the blob.
    const file = join(h.storageDir, "storage", target.slice("/_berth_blobs/".length));
    assert.deepEqual(await readFile(file), blob.bytes);
    const ranged = await h.request("GET", path, { token: tok, headers: { Range: "bytes=0-9" } });
    assert.equal(ranged.headers["x-accel-redirect"], target);
    for (const [method, headers] of [["HEAD", {}], ["GET", { Range: "bytes=9999-" }], ["GET", { "If-None-Match": `"${blob.digest}"` }]] as const) {
      const r = await h.request(method, path, { token: tok, headers });
      assert.equal(r.headers["x-accel-redirect"], undefined, `${method} ${JSON.stringify(headers)}`);
    }
  });
});
