// kill -9 of the registry mid-upload and mid-manifest-push, with the launcher's restart policy
// (on by default; BERTH_RESTART_CHILDREN): afterwards no partial blob is visible, no metadata dangles,
// the upload session is resumable or cleanly unknown, and the client's retry succeeds.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { CoreApi } from "./support/api.js";
import { eventually } from "./support/http.js";
import { makeImage, sha256 } from "./support/images.js";
import { startTestStack, type TestStack } from "./support/stack.js";

const MiB = 1024 * 1024;

interface Sent {
  status: number | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  error: Error | undefined;
}

describe("registry crash safety (kill -9, restart policy)", { timeout: 300_000 }, () => {
  let stack: TestStack;
  let api: CoreApi;
  let token: string;
  const repo = "library/crash";
  /** Where GET status said the interrupted session stands, and where a PATCH was accepted. */
  const resume: { reported?: number; accepted?: number } = {};

  before(async () => {
    stack = await startTestStack("crash", { restartChildren: true });
    api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
  });

  after(async () => {
    await stack?.stop();
  });

  const auth = () => ({ authorization: `Bearer ${token}` });
  const blobFile = (digest: string) => join(stack.dataDir, "registry", "blobs", "sha256", digest.slice(7, 9), digest.slice(7), "data");

  /** A request whose body is written by `feed` (chunked when no content-length is given). */
  function send(method: string, path: string, headers: Record<string, string>, feed: (write: (b: Buffer) => Promise<void>) => Promise<void>): Promise<Sent> {
    return new Promise((resolve) => {
      const req = request(`${stack.baseUrl}${path}`, { method, headers: { ...auth(), ...headers } });
      let done = false;
      const finish = (s: Sent) => {
        if (!done) {
          done = true;
          resolve(s);
        }
      };
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => finish({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), error: undefined }));
        res.on("error", (error) => finish({ status: res.statusCode, headers: res.headers, body: "", error }));
      });
      req.on("error", (error) => finish({ status: undefined, headers: {}, body: "", error }));
      const write = (b: Buffer) =>
        new Promise<void>((res, rej) => {
          if (req.destroyed) return rej(new Error("request destroyed"));
          req.write(b, (err) => (err ? rej(err) : res()));
        });
      feed(write).then(
        () => req.end(),
        () => req.destroy(),
      );
    });
  }

  async function http(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<{ status: number; headers: Headers; body: Buffer }> {
    const res = await fetch(`${stack.baseUrl}${path}`, { method, headers: { ...auth(), ...headers }, ...(body ? { body } : {}) });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  }

  /** kill -9 the registry (pid from run/pids.json); resolves once a new one answers through nginx. */
  async function killRegistry(): Promise<void> {
    const pid = stack.pidOf("registry");
    assert.ok(pid, "pids.json names the registry");
    process.kill(pid, "SIGKILL");
    await eventually(
      async () => {
        const now = stack.pidOf("registry");
        if (now === undefined || now === pid) return undefined;
        const res = await fetch(`${stack.baseUrl}/v2/`);
        await res.arrayBuffer();
        return res.status === 401 ? true : undefined;
      },
      60_000,
      () => `the registry was not restarted:\n${stack.tail()}`,
    );
  }

  /** Registry metadata that would be dangling: references to blobs without a row, blob rows without content. */
  function assertNoDanglingMetadata(): void {
    const missingRows = stack.psql(
      "SELECT count(*) FROM manifest_references r WHERE r.kind <> 'child' AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = r.digest)",
    );
    assert.equal(missingRows, "0", "manifest references to blobs without a row");
    const unlinked = stack.psql(
      "SELECT count(*) FROM manifest_references r JOIN manifests m ON m.id = r.manifest_id WHERE r.kind <> 'child' AND NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.blob_digest = r.digest AND rb.repository_id = m.repository_id)",
    );
    assert.equal(unlinked, "0", "manifest references to blobs not linked to the repository");
    const digests = stack.psql("SELECT digest FROM blobs").split("\n").filter(Boolean);
    for (const d of digests) assert.ok(existsSync(blobFile(d)), `blob row ${d} has no content at ${blobFile(d)}`);
  }

  it("mid-upload: no partial blob, session resumable or unknown, the retry succeeds", async () => {
    token = await api.token([`repository:${repo}:pull,push`]);
    const content = randomBytes(24 * MiB);
    const digest = sha256(content);
    const first = 8 * MiB;

    const start = await http("POST", `/v2/${repo}/blobs/uploads/`);
    assert.equal(start.status, 202);
    const location = start.headers.get("location")!;
    const path = location.startsWith("http") ? new URL(location).pathname : location;
    const chunk1 = await http("PATCH", path, { "content-type": "application/octet-stream", "content-range": `0-${first - 1}` }, content.subarray(0, first));
    assert.equal(chunk1.status, 202, chunk1.body.toString());
    assert.equal(chunk1.headers.get("range"), `0-${first - 1}`);

    // The second chunk streams slowly; the registry dies in the middle of it.
    let killed: Promise<void> | undefined;
    const inFlight = await send("PATCH", path, { "content-type": "application/octet-stream" }, async (write) => {
      for (let at = first, n = 0; at < content.length; at += MiB, n++) {
        await write(content.subarray(at, at + MiB));
        await new Promise((r) => setTimeout(r, 40));
        if (n === 6) killed = killRegistry();
      }
    });
    await killed;
    assert.ok(inFlight.error !== undefined || (inFlight.status ?? 0) >= 500, `the interrupted PATCH failed: ${inFlight.status} ${inFlight.body}`);

    // No partial blob anywhere it could be seen.
    assert.equal((await http("HEAD", `/v2/${repo}/blobs/${digest}`)).status, 404);
    assert.equal(existsSync(blobFile(digest)), false, "no file at the blob's content path");
    assert.equal(stack.psql(`SELECT count(*) FROM blobs WHERE digest = '${digest}'`), "0");

    const status = await http("GET", path);
    if (status.status === 204) {
      // Resumable: continue from where the registry says it stands.
      const range = status.headers.get("range") ?? "";
      const offset = Number(/^0-(\d+)$/.exec(range)?.[1] ?? -1) + 1;
      assert.ok(offset >= first && offset <= content.length, `resumable at a sane offset: Range ${range}`);
      resume.reported = offset;
      let rest = await http("PATCH", path, { "content-type": "application/octet-stream", "content-range": `${offset}-${content.length - 1}` }, content.subarray(offset));
      resume.accepted = offset;
      if (rest.status === 416) {
        // Should the registry disagree with its own status answer (the test below), follow the
        // Range of the 416, as the spec tells a client to.
        const at = Number(/^0-(\d+)$/.exec(rest.headers.get("range") ?? "")?.[1] ?? -1) + 1;
        assert.ok(at >= first && at <= content.length, `416 names a sane offset: ${rest.headers.get("range")}`);
        resume.accepted = at;
        rest = await http("PATCH", path, { "content-type": "application/octet-stream", "content-range": `${at}-${content.length - 1}` }, content.subarray(at));
      }
      assert.equal(rest.status, 202, rest.body.toString());
      const close = await http("PUT", `${path}?digest=${digest}`, { "content-length": "0" });
      assert.equal(close.status, 201, close.body.toString());
    } else {
      assert.equal(status.status, 404, status.body.toString());
      assert.match(status.body.toString(), /BLOB_UPLOAD_UNKNOWN/);
      const retry = await http("POST", `/v2/${repo}/blobs/uploads/?digest=${digest}`, { "content-type": "application/octet-stream" }, content);
      assert.equal(retry.status, 201, retry.body.toString());
    }
    const head = await http("HEAD", `/v2/${repo}/blobs/${digest}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(content.length));
    assert.equal(sha256((await http("GET", `/v2/${repo}/blobs/${digest}`)).body), digest);
    assertNoDanglingMetadata();
  });

  it("after the crash, the upload status Range is where the next PATCH is accepted", () => {
    assert.ok(resume.reported !== undefined, "the session was resumable");
    assert.equal(resume.accepted, resume.reported, `GET status said ${resume.reported}, PATCH accepted only ${resume.accepted}`);
  });

  it("mid-manifest-push: nothing half-written; a kill right after the body is all-or-nothing; the retry succeeds", async () => {
    token = await api.token([`repository:${repo}:pull,push`]);
    const image = makeImage("oci", { layerCount: 2 });
    for (const b of [image.config, ...image.layers.map((l) => l.blob)]) {
      const r = await http("POST", `/v2/${repo}/blobs/uploads/?digest=${b.digest}`, { "content-type": "application/octet-stream" }, b.data);
      assert.equal(r.status, 201, r.body.toString());
    }
    const manifest = image.manifest.data;
    const put = (tag: string) => `/v2/${repo}/manifests/${tag}`;
    const headers = { "content-type": image.manifest.mediaType, "content-length": String(manifest.length) };

    // Half the body sent, then the registry dies.
    let killed: Promise<void> | undefined;
    const half = await send("PUT", put("t1"), headers, async (write) => {
      await write(manifest.subarray(0, manifest.length >> 1));
      await new Promise((r) => setTimeout(r, 200));
      killed = killRegistry();
      await killed;
      await write(manifest.subarray(manifest.length >> 1));
    });
    await killed;
    assert.notEqual(half.status, 201, `the interrupted PUT did not succeed: ${half.body}`);
    assert.equal((await http("GET", put("t1"), { accept: image.manifest.mediaType })).status, 404);
    assert.equal(stack.psql(`SELECT count(*) FROM manifests WHERE digest = '${image.manifest.digest}'`), "0");
    assertNoDanglingMetadata();

    // The whole body sent and the registry killed at once: either committed completely or not at all.
    let killed2: Promise<void> | undefined;
    await send("PUT", put("t2"), headers, async (write) => {
      await write(manifest);
      killed2 = killRegistry();
    });
    await killed2;
    const t2 = await http("GET", put("t2"), { accept: image.manifest.mediaType });
    if (t2.status === 200) {
      assert.equal(sha256(t2.body), image.manifest.digest, "a committed manifest is complete");
    } else {
      assert.equal(t2.status, 404, t2.body.toString());
    }
    assertNoDanglingMetadata();

    // The client retries both tags: they succeed and serve the exact bytes.
    for (const tag of ["t1", "t2"]) {
      const retry = await http("PUT", put(tag), { "content-type": image.manifest.mediaType }, manifest);
      assert.equal(retry.status, 201, retry.body.toString());
      assert.equal(retry.headers.get("docker-content-digest"), image.manifest.digest);
      const got = await http("GET", put(tag), { accept: image.manifest.mediaType });
      assert.equal(got.status, 200);
      assert.equal(sha256(got.body), image.manifest.digest);
    }
    assertNoDanglingMetadata();
    assert.match(stack.tail(400), /registry stopped unexpectedly \(signal SIGKILL\); restarting it/);
  });
});
