/** Manifests, tags, referrers, catalog, outbox events, and the bad-input table. */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { startHarness, type Harness } from "./testing/harness.js";
import { OCI_INDEX, OCI_MANIFEST, content, imageIndex, imageManifest, pushBlob, pushImage } from "./testing/fixtures.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];

describe("registry manifests", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let h: Harness;
  let tok: string;
  const put = (name: string, ref: string, body: Buffer | string, type: string = OCI_MANIFEST) =>
    h.request("PUT", `/v2/${name}/manifests/${ref}`, { token: tok, body, headers: { "Content-Type": type } });
  const events = async (type: string) =>
    (await h.prisma.$queryRawUnsafe<{ payload: Record<string, unknown> }[]>(`SELECT payload FROM outbox_events WHERE type = $1 ORDER BY id`, type)).map((r) => r.payload);

  before(async () => {
    h = await startHarness(adminUrl!);
    tok = h.token(["repository:m/app:pull,push,delete", "repository:m/tags:pull,push", "repository:m/idx:pull,push,delete", "repository:m/empty:pull,push"]);
  });
  after(() => h?.close());

  test("PUT with unknown blobs: 400 MANIFEST_BLOB_UNKNOWN naming each; then 201 once uploaded", async () => {
    const config = content('{"os":"linux"}');
    const layer = content("layer");
    const manifest = imageManifest(config, [layer]);
    const missing = await put("m/app", "v1", manifest.bytes);
    assert.equal(missing.status, 400);
    const errors = missing.json().errors;
    assert.deepEqual(errors.map((e: { code: string }) => e.code), ["MANIFEST_BLOB_UNKNOWN", "MANIFEST_BLOB_UNKNOWN"]);
    assert.deepEqual(errors.map((e: { detail: { digest: string } }) => e.detail.digest).sort(), [config.digest, layer.digest].sort());
    await pushBlob(h, "m/app", tok, config);
    await pushBlob(h, "m/app", tok, layer);
    const ok = await put("m/app", "v1", manifest.bytes);
    assert.equal(ok.status, 201);
    assert.equal(ok.headers["location"], `/v2/m/app/manifests/${manifest.digest}`);
    assert.equal(ok.headers["docker-content-digest"], manifest.digest);
    assert.equal(ok.headers["oci-subject"], undefined);

    for (const ref of ["v1", manifest.digest]) {
      for (const method of ["GET", "HEAD"]) {
        const r = await h.request(method, `/v2/m/app/manifests/${ref}`, { token: tok, headers: { Accept: OCI_MANIFEST } });
        assert.equal(r.status, 200);
        assert.equal(r.headers["content-type"], OCI_MANIFEST);
        assert.equal(r.headers["docker-content-digest"], manifest.digest);
        assert.equal(r.headers["content-length"], String(manifest.size));
        assert.equal(r.headers["docker-distribution-api-version"], "registry/2.0");
        if (method === "GET") assert.deepEqual(r.body, manifest.bytes);
      }
    }
    const pushed = await events("manifest.pushed");
    assert.deepEqual(pushed.at(-1), { repository: "m/app", digest: manifest.digest, tag: "v1", mediaType: OCI_MANIFEST, size: manifest.size, actor: "tester" });
    assert.equal((await events("tag.created")).at(-1)?.["tag"], "v1");
    await sleep(300);
    const pulled = await events("manifest.pulled");
    assert.ok(pulled.length >= 1, JSON.stringify(pulled));
    assert.equal(pulled.some((p) => p["digest"] === manifest.digest && p["count"] === undefined && p["tag"] === "v1"), true, JSON.stringify(pulled));
    const stamped = await h.prisma.$queryRawUnsafe<{ pulled_at: Date | null; pull_count: bigint; repository_pulls: bigint }[]>(
      `SELECT m.pulled_at, m.pull_count, r.pull_count AS repository_pulls FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE m.digest = $1`,
      manifest.digest,
    );
    assert.ok(stamped[0]?.pulled_at instanceof Date);
    assert.deepEqual([stamped[0]?.pull_count, stamped[0]?.repository_pulls], [2n, 2n], "two GETs counted (HEADs are not pulls), on the manifest and its repository");
  });

  test("PUT by digest must match the body; re-push is idempotent; tag moves", async () => {
    const { manifest } = await pushImage(h, "m/app", tok, "v2", "two");
    const other = content(`${manifest.bytes.toString()} `);
    const bad = await put("m/app", manifest.digest, other.bytes);
    assert.equal(bad.status, 400);
    assert.equal(bad.json().errors[0].code, "DIGEST_INVALID");
    const byDigest = await put("m/app", manifest.digest, manifest.bytes);
    assert.equal(byDigest.status, 201);
    const { manifest: three } = await pushImage(h, "m/app", tok, "v2", "three");
    const moved = await h.request("GET", "/v2/m/app/manifests/v2", { token: tok });
    assert.equal(moved.headers["docker-content-digest"], three.digest);
    const tagEvent = (await events("tag.created")).at(-1);
    assert.equal(tagEvent?.["previousDigest"], manifest.digest);
  });

  test("invalid manifests: MANIFEST_INVALID (schema 1, bad JSON, confusion), 413 when too large", async () => {
    const schema1 = JSON.stringify({ schemaVersion: 1, name: "m/app", tag: "x", fsLayers: [], history: [], signatures: [] });
    for (const [body, type] of [
      [schema1, "application/vnd.docker.distribution.manifest.v1+prettyjws"],
      [schema1, "application/json"],
      ["{not json", OCI_MANIFEST],
      [JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, manifests: [] }), OCI_MANIFEST],
      [JSON.stringify({ schemaVersion: 2, config: { mediaType: "a/b", digest: "sha256:xyz", size: 1 }, layers: [] }), OCI_MANIFEST],
      ["[]", "text/plain"],
    ] as const) {
      const r = await put("m/app", "bad", body, type);
      assert.equal(r.status, 400, `${type} ${body.slice(0, 30)}`);
      assert.equal(r.json().errors[0].code, "MANIFEST_INVALID");
    }
    const huge = await put("m/app", "huge", Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
    assert.equal(huge.status, 413);
    assert.equal(huge.json().errors[0].code, "MANIFEST_INVALID");
  });

  test("index: missing child → MANIFEST_UNKNOWN entry; child delete refused while referenced", async () => {
    const a = await pushImage(h, "m/idx", tok, "a", "idx-a");
    const orphan = imageManifest(a.config, a.layers, { annotations: { x: "never pushed" } });
    const missing = await put("m/idx", "multi", imageIndex([a.manifest, orphan]).bytes, OCI_INDEX);
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json().errors.map((e: { code: string }) => e.code), ["MANIFEST_UNKNOWN"]);
    const b = await pushImage(h, "m/idx", tok, "b", "idx-b");
    const index = imageIndex([a.manifest, b.manifest]);
    const ok = await put("m/idx", "multi", index.bytes, OCI_INDEX);
    assert.equal(ok.status, 201);
    const got = await h.request("GET", "/v2/m/idx/manifests/multi", { token: tok });
    assert.equal(got.headers["content-type"], OCI_INDEX);
    assert.deepEqual(got.body, index.bytes);
    const refused = await h.request("DELETE", `/v2/m/idx/manifests/${a.manifest.digest}`, { token: tok });
    assert.equal(refused.status, 409);
    assert.equal(refused.json().errors[0].code, "DENIED");
    assert.equal((await h.request("DELETE", `/v2/m/idx/manifests/${index.digest}`, { token: tok })).status, 202);
    assert.equal((await h.request("DELETE", `/v2/m/idx/manifests/${a.manifest.digest}`, { token: tok })).status, 202);
  });

  test("DELETE by tag removes only the tag; by digest removes the manifest and its tags", async () => {
    const { manifest } = await pushImage(h, "m/app", tok, "del", "delete-me");
    await put("m/app", "del2", manifest.bytes);
    assert.equal((await h.request("DELETE", "/v2/m/app/manifests/del", { token: tok })).status, 202);
    assert.equal((await h.request("GET", "/v2/m/app/manifests/del", { token: tok })).status, 404);
    assert.equal((await h.request("GET", `/v2/m/app/manifests/${manifest.digest}`, { token: tok })).status, 200);
    assert.equal((await h.request("DELETE", `/v2/m/app/manifests/${manifest.digest}`, { token: tok })).status, 202);
    const gone = await h.request("GET", `/v2/m/app/manifests/${manifest.digest}`, { token: tok });
    assert.equal(gone.status, 404);
    assert.equal(gone.json().errors[0].code, "MANIFEST_UNKNOWN");
    assert.equal((await h.request("GET", "/v2/m/app/manifests/del2", { token: tok })).status, 404);
    assert.equal((await h.request("DELETE", "/v2/m/app/manifests/del2", { token: tok })).status, 404);
    const deleted = await events("manifest.deleted");
    assert.equal(deleted.at(-1)?.["digest"], manifest.digest);
    const tagDeleted = (await events("tag.deleted")).map((e) => e["tag"]);
    assert.ok(tagDeleted.includes("del") && tagDeleted.includes("del2"));
  });

  test("tags/list pages lexically with n, last and a Link header", async () => {
    const { manifest } = await pushImage(h, "m/tags", tok, "b", "tags");
    for (const t of ["a", "C", "c", "a1", "z"]) assert.equal((await put("m/tags", t, manifest.bytes)).status, 201);
    const all = await h.request("GET", "/v2/m/tags/tags/list", { token: tok });
    assert.deepEqual(all.json(), { name: "m/tags", tags: ["C", "a", "a1", "b", "c", "z"] });
    assert.equal(all.headers["link"], undefined);
    const p1 = await h.request("GET", "/v2/m/tags/tags/list?n=2", { token: tok });
    assert.deepEqual(p1.json().tags, ["C", "a"]);
    assert.equal(p1.headers["link"], '</v2/m/tags/tags/list?n=2&last=a>; rel="next"');
    const p2 = await h.request("GET", "/v2/m/tags/tags/list?n=2&last=a", { token: tok });
    assert.deepEqual(p2.json().tags, ["a1", "b"]);
    const p3 = await h.request("GET", "/v2/m/tags/tags/list?n=2&last=b", { token: tok });
    assert.deepEqual(p3.json().tags, ["c", "z"]);
    assert.equal(p3.headers["link"], undefined);
    assert.deepEqual((await h.request("GET", "/v2/m/tags/tags/list?n=0", { token: tok })).json().tags, []);
    const unknown = await h.request("GET", "/v2/m/empty/tags/list", { token: tok });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json().errors[0].code, "NAME_UNKNOWN");
  });

  test("_catalog pages the same way", async () => {
    const cat = h.token(["registry:catalog:*"]);
    const all = await h.request("GET", "/v2/_catalog", { token: cat });
    const names: string[] = all.json().repositories;
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes("m/app") && names.includes("m/tags"));
    const p1 = await h.request("GET", "/v2/_catalog?n=1", { token: cat });
    assert.deepEqual(p1.json().repositories, [names[0]]);
    assert.equal(p1.headers["link"], `</v2/_catalog?n=1&last=${encodeURIComponent(names[0]!)}>; rel="next"`);
    const p2 = await h.request("GET", `/v2/_catalog?n=1&last=${names[0]}`, { token: cat });
    assert.deepEqual(p2.json().repositories, [names[1]]);
    // Text PostgreSQL cannot store is refused before it reaches SQL (it was a 500).
    for (const last of ["%00", "a%00", "%00%00"]) {
      const nul = await h.request("GET", `/v2/_catalog?last=${last}`, { token: cat });
      assert.equal(nul.status, 400, last);
      assert.equal(nul.json().errors[0].code, "BAD_REQUEST");
      assert.match(nul.json().errors[0].message, /query parameter "last" contains a NUL character/);
      assert.equal(nul.headers["docker-distribution-api-version"], "registry/2.0");
    }
  });

  test("referrers: OCI-Subject on push, listed with artifactType filter", async () => {
    const { manifest: subject } = await pushImage(h, "m/app", tok, "signed", "subject");
    const empty = content("{}");
    await pushBlob(h, "m/app", tok, empty);
    const sigLayer = content("signature");
    await pushBlob(h, "m/app", tok, sigLayer);
    const subjectDescriptor = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size };
    const sig = content(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: "application/vnd.example.signature",
        config: { mediaType: "application/vnd.oci.empty.v1+json", digest: empty.digest, size: empty.size },
        layers: [{ mediaType: "application/octet-stream", digest: sigLayer.digest, size: sigLayer.size }],
        subject: subjectDescriptor,
        annotations: { "org.example": "yes" },
      }),
    );
    const sbom = imageManifest(empty, [sigLayer], { artifactType: "application/vnd.example.sbom", subject: subjectDescriptor });
    for (const m of [sig, sbom]) {
      const r = await put("m/app", m.digest, m.bytes);
      assert.equal(r.status, 201);
      assert.equal(r.headers["oci-subject"], subject.digest);
    }
    const r = await h.request("GET", `/v2/m/app/referrers/${subject.digest}`, { token: tok });
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], OCI_INDEX);
    const index = r.json();
    assert.equal(index.mediaType, OCI_INDEX);
    assert.deepEqual(index.manifests.map((d: { digest: string }) => d.digest), [sig.digest, sbom.digest]);
    assert.deepEqual(index.manifests[0], { mediaType: OCI_MANIFEST, digest: sig.digest, size: sig.size, artifactType: "application/vnd.example.signature", annotations: { "org.example": "yes" } });
    const filtered = await h.request("GET", `/v2/m/app/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`, { token: tok });
    assert.equal(filtered.headers["oci-filters-applied"], "artifactType");
    assert.deepEqual(filtered.json().manifests.map((d: { digest: string }) => d.digest), [sbom.digest]);
    const none = await h.request("GET", `/v2/m/app/referrers/${content("nothing").digest}`, { token: tok });
    assert.equal(none.status, 200);
    assert.deepEqual(none.json().manifests, []);
  });

  test("bad input answers the spec's errors, never 500", async () => {
    const anyTok = h.token([
      "repository:m/app:pull,push,delete",
      "repository:a/../b:pull,push",
      "repository:a/%2e%2e/b:pull,push",
      "repository:Upper/case:pull,push",
      `repository:${"x".repeat(300)}:pull,push`,
    ]);
    const cases: [string, string, number, string, Record<string, string>?][] = [
      ["GET", "/v2/a/../b/tags/list", 400, "NAME_INVALID"],
      ["GET", "/v2/a/%2e%2e/b/tags/list", 400, "NAME_INVALID"],
      ["GET", "/v2/Upper/case/tags/list", 400, "NAME_INVALID"],
      ["GET", `/v2/${"x".repeat(300)}/tags/list`, 400, "NAME_INVALID"],
      ["GET", "/v2/m/app/blobs/sha256:abc", 400, "DIGEST_INVALID"],
      ["GET", "/v2/m/app/blobs/sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", 400, "DIGEST_INVALID"],
      ["GET", "/v2/m/app/blobs/md5:d41d8cd98f00b204e9800998ecf8427e", 400, "DIGEST_INVALID"],
      ["GET", "/v2/m/app/blobs/not-a-digest", 400, "DIGEST_INVALID"],
      ["GET", `/v2/m/app/blobs/${content("absent").digest}`, 404, "BLOB_UNKNOWN"],
      ["GET", "/v2/m/app/manifests/sha256:bad", 400, "DIGEST_INVALID"],
      ["GET", "/v2/m/app/manifests/no-such-tag", 404, "MANIFEST_UNKNOWN"],
      ["GET", `/v2/m/app/manifests/${"t".repeat(200)}`, 404, "MANIFEST_UNKNOWN"],
      ["GET", "/v2/m/app/manifests/.INVALID_MANIFEST_NAME", 404, "MANIFEST_UNKNOWN"],
      ["HEAD", "/v2/m/app/manifests/.INVALID_MANIFEST_NAME", 404, "MANIFEST_UNKNOWN"],
      ["DELETE", "/v2/m/app/manifests/.INVALID_MANIFEST_NAME", 404, "MANIFEST_UNKNOWN"],
      ["PUT", "/v2/m/app/manifests/.INVALID_MANIFEST_NAME", 400, "TAG_INVALID"],
      ["PUT", `/v2/m/app/manifests/${"t".repeat(200)}`, 400, "TAG_INVALID"],
      ["GET", "/v2/m/app/tags/list?last=%00", 400, "BAD_REQUEST"],
      ["GET", "/v2/m/app/tags/list?n=1&last=a%00b", 400, "BAD_REQUEST"],
      ["GET", "/v2/m/app/manifests/a%00b", 400, "BAD_REQUEST"],
      ["GET", "/v2/m/app/referrers/sha256:bad", 400, "DIGEST_INVALID"],
      ["GET", "/v2/m/app/blobs/uploads/not-a-uuid", 404, "BLOB_UPLOAD_UNKNOWN"],
      ["PATCH", "/v2/m/app/blobs/uploads/00000000-0000-4000-8000-000000000000", 404, "BLOB_UPLOAD_UNKNOWN"],
      ["PUT", `/v2/m/app/blobs/uploads/00000000-0000-4000-8000-000000000000?digest=${content("x").digest}`, 404, "BLOB_UPLOAD_UNKNOWN"],
      ["DELETE", "/v2/m/app/blobs/uploads/00000000-0000-4000-8000-000000000000", 404, "BLOB_UPLOAD_UNKNOWN"],
      ["POST", "/v2/m/app/blobs/uploads/?digest=sha256:nope", 400, "DIGEST_INVALID"],
      ["POST", "/v2/m/app/blobs/uploads/?mount=sha256:nope&from=m/app", 400, "DIGEST_INVALID"],
      ["POST", `/v2/m/app/blobs/uploads/?mount=${content("x").digest}&from=Bad/Name`, 400, "NAME_INVALID"],
      ["GET", "/v2/m/app/tags/list?n=-1", 400, "PAGINATION_NUMBER_INVALID"],
      ["GET", "/v2/m/app/tags/list?n=abc", 400, "PAGINATION_NUMBER_INVALID"],
      ["GET", "/v2/m/app/tags/list?n=1&n=2", 400, "UNSUPPORTED"],
      ["POST", "/v2/m/app/manifests/latest", 405, "UNSUPPORTED"],
      ["GET", "/v2/m/app/nothing/here", 404, "NAME_UNKNOWN"],
      ["GET", "/v2/m/app/blobs/sha256:bad", 400, "DIGEST_INVALID"],
    ];
    for (const [method, path, status, code, headers] of cases) {
      const r = await h.request(method, path, { token: anyTok, ...(headers && { headers }) });
      assert.equal(r.status, status, `${method} ${path}: ${r.body}`);
      if (method !== "HEAD") assert.equal(r.json().errors[0].code, code, `${method} ${path}`);
      assert.equal(r.headers["docker-distribution-api-version"], "registry/2.0");
    }
    const start = await h.request("POST", "/v2/m/app/blobs/uploads/", { token: anyTok });
    const location = String(start.headers["location"]);
    for (const range of ["abc", "5-2", "bytes=x-y"]) {
      const r = await h.request("PATCH", location, { token: anyTok, body: "abcd", headers: { "Content-Range": range } });
      assert.equal(r.status, 416, range);
      assert.equal(r.json().errors[0].code, "RANGE_INVALID");
    }
    // Node's HTTP parser refuses the request before any route: still the OCI error format.
    const badLength = await h.request("PATCH", location, { token: anyTok, headers: { "Content-Length": "abc" } });
    assert.equal(badLength.status, 400);
    assert.equal(badLength.json().errors[0].code, "BAD_REQUEST");
    assert.equal(badLength.headers["docker-distribution-api-version"], "registry/2.0");
  });
});
