// Online GC through the front door: clients push, re-tag, delete and re-push images with shared
// and unique layers while GC runs again and again with a zero grace window (the API, the outbox,
// jobservice). A client whose manifest PUT meets a blob GC just took answers MANIFEST_BLOB_UNKNOWN
// and re-uploads, as docker does. Afterwards every manifest whose PUT answered 201 and that was not
// deleted since pulls and verifies, and a last GC leaves nothing unreferenced in database or storage.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { CoreApi } from "./support/api.js";
import { basicAuth } from "./support/http.js";
import { HttpClient, HttpStatusError, makeSmallImage, MEDIA, Repo, sha256, type SmallImage } from "./support/oci-client.js";
import { startTestStack, type TestStack } from "./support/stack.js";

const REPOS = ["library/gc-a", "library/gc-b", "library/gc-c"];
const CLIENTS = 6;
const OPS = 20;

let stack: TestStack;
let api: CoreApi;
let http: HttpClient;

/** A deterministic generator (mulberry32), so a failing run can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function repoFor(name: string): Promise<Repo> {
  const scope = encodeURIComponent(`repository:${name}:pull,push,delete`);
  const res = await fetch(`${stack.baseUrl}/service/token?service=berth-registry&scope=${scope}`, { headers: basicAuth("admin", stack.adminPassword) });
  assert.equal(res.status, 200);
  const { token } = (await res.json()) as { token: string };
  return new Repo(http, name, { authorization: `Bearer ${token}` });
}

/** docker's push: HEAD each blob, upload the missing; on MANIFEST_BLOB_UNKNOWN upload again. */
async function push(repo: Repo, image: SmallImage, tag: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    for (const blob of [...image.layers, image.config]) await repo.pushBlobIfMissing(blob.data, blob.digest);
    try {
      await repo.putManifest(tag, image.manifest, MEDIA.ociManifest);
      return;
    } catch (err) {
      if (!(err instanceof HttpStatusError && err.status === 400 && /MANIFEST_BLOB_UNKNOWN/.test(err.message)) || attempt >= 8) throw err;
    }
  }
}

async function runGc(parameters: { delete_untagged: boolean; time_window: number }): Promise<void> {
  for (;;) {
    const res = await api.request("POST", "/system/gc/schedule", { schedule: { type: "Manual" }, parameters: { ...parameters, dry_run: false, workers: 2 } });
    if (res.status === 409) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    assert.equal(res.status, 201, res.text);
    const id = res.headers.get("location")!.split("/").pop();
    for (const started = Date.now(); Date.now() - started < 120_000; ) {
      const run = (await api.ok("GET", `/system/gc/${id}`)).body as { job_status: string };
      if (run.job_status === "Success") return;
      assert.notEqual(run.job_status, "Error", `GC run ${id} failed: ${(await api.request("GET", `/system/gc/${id}/log`)).text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`GC run ${id} did not finish`);
  }
}

before(async () => {
  stack = await startTestStack("gc");
  api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
  http = new HttpClient(stack.baseUrl, 32);
});

after(async () => {
  http?.close();
  await stack?.stop();
});

test("pushes, re-tags, deletes and re-pushes while GC runs lose nothing committed", async () => {
  const random = rng(20261122);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const shared = Array.from({ length: 4 }, () => bytes(32 * 1024));
  const repos = await Promise.all(REPOS.map(repoFor));

  /** repository → manifest digest → the image, for every manifest whose PUT answered 201 and that was not deleted since. */
  const alive = new Map<string, Map<string, SmallImage>>(REPOS.map((r) => [r, new Map()]));
  const deleted: { repo: Repo; image: SmallImage }[] = [];
  let stop = false;
  let gcRuns = 0;
  const gcLoop = (async () => {
    while (!stop) {
      await runGc({ delete_untagged: false, time_window: 0 });
      gcRuns++;
    }
  })();

  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      const pick = rng(1000 + c);
      for (let op = 0; op < OPS; op++) {
        const repo = repos[Math.floor(pick() * repos.length)]!;
        const mine = alive.get(repo.name)!;
        const roll = pick();
        if (roll < 0.5 || mine.size === 0) {
          const layer = shared[Math.floor(pick() * shared.length)]!;
          const image = makeSmallImage([4 * 1024], bytes, `c${c}-op${op}`);
          image.layers.unshift({ data: layer, digest: sha256(layer) });
          const manifest = Buffer.from(
            JSON.stringify({
              schemaVersion: 2,
              mediaType: MEDIA.ociManifest,
              config: { mediaType: MEDIA.ociConfig, digest: image.config.digest, size: image.config.data.length },
              layers: image.layers.map((l) => ({ mediaType: MEDIA.ociLayer, digest: l.digest, size: l.data.length })),
            }),
          );
          const full = { ...image, manifest, manifestDigest: sha256(manifest) };
          await push(repo, full, `c${c}-${op}`);
          mine.set(full.manifestDigest, full);
        } else if (roll < 0.65) {
          const [, image] = [...mine.entries()][Math.floor(pick() * mine.size)]!;
          await push(repo, image, `c${c}-retag-${op}`);
          // No `mine.has(digest)` check here: another client may delete this manifest (and drop it
          // from `mine`) while the re-tag is in flight — both orders are legal, and which one
          // committed last decides whether it is alive, so it is simply not tracked any more then.
        } else if (roll < 0.8) {
          const [digest, image] = [...mine.entries()][Math.floor(pick() * mine.size)]!;
          await http.send({ method: "DELETE", path: `/v2/${repo.name}/manifests/${digest}`, headers: repo.auth, expect: [202, 404] });
          mine.delete(digest);
          deleted.push({ repo, image });
        } else if (deleted.length > 0) {
          const { repo: from, image } = deleted.splice(Math.floor(pick() * deleted.length), 1)[0]!;
          await push(from, image, `c${c}-again-${op}`);
          alive.get(from.name)!.set(image.manifestDigest, image);
        }
      }
    }),
  );
  stop = true;
  await gcLoop;
  assert.ok(gcRuns >= 2, `GC ran ${gcRuns} times during the pushes`);

  let verified = 0;
  for (const repo of repos) {
    for (const [digest, image] of alive.get(repo.name)!) {
      const manifest = await repo.getManifest(digest);
      assert.equal(sha256(manifest.body), digest, `${repo.name}@${digest} verifies`);
      for (const blob of [...image.layers, image.config]) {
        const got = await repo.getBlob(blob.digest, true);
        assert.equal(got.digest, blob.digest, `${repo.name} blob ${blob.digest} of ${digest} verifies`);
      }
      verified++;
    }
  }
  assert.ok(verified > 0);
  console.log(`# ${verified} manifests verified after ${gcRuns} GC runs`);

  // Everything unreferenced past the (zero) window goes: untagged manifests too, when asked.
  await runGc({ delete_untagged: true, time_window: 0 });
  await runGc({ delete_untagged: true, time_window: 0 });
  assert.equal(stack.psql("SELECT count(*) FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.digest = b.digest)"), "0");
  assert.equal(
    stack.psql("SELECT count(*) FROM repository_blobs l WHERE NOT EXISTS (SELECT 1 FROM manifest_references r JOIN manifests m ON m.id = r.manifest_id WHERE r.digest = l.blob_digest AND m.repository_id = l.repository_id)"),
    "0",
  );
  assert.equal(stack.psql("SELECT count(*) FROM manifests m WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)"), "0");
  const rows = Number(stack.psql("SELECT count(*) FROM blobs"));
  const files = countFiles(join(stack.dataDir, "registry", "blobs"));
  assert.equal(files, rows, "one stored file per blob row");
});

function countFiles(dir: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) n++;
  return n;
}
