// The proxy cache across registry replicas (real PostgreSQL and Redis, two registry processes'
// apps over one database and storage, CNCF Distribution — Debian's docker-registry — as the
// upstream): concurrent pulls of one missing blob, spread over both replicas, fetch it once from
// the upstream (counted in Distribution's access log); every puller gets the verified bytes;
// pushes are DENIED; a miss of something the upstream does not have is plain MANIFEST_UNKNOWN;
// an image index pulled by tag is cached at once, its platforms' manifests when asked for by
// digest (linked to it as its children), and both still pull once the upstream is gone.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseDigest, parseManifestReference } from "@berth/oci";
import { ManifestReferencedError } from "@berth/registry-store";
import { startHarness, type Harness } from "./testing/harness.js";

const pgUrl = process.env["BERTH_TEST_PG_URL"];
const redisUrl = process.env["BERTH_TEST_REDIS_URL"];
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Distribution on a free port, its access log kept in memory. */
async function startDistribution(): Promise<{ url: string; log: string[]; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "berth-proxy-upstream-"));
  const port = await freePort();
  const config = join(dir, "config.yml");
  await writeFile(config, ["version: 0.1", "log:", "  level: warn", "storage:", "  filesystem:", `    rootdirectory: ${join(dir, "storage")}`, "http:", `  addr: 127.0.0.1:${port}`, ""].join("\n"));
  const log: string[] = [];
  const child: ChildProcess = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "pipe", "pipe"] });
  for (const stream of [child.stdout!, child.stderr!]) stream.on("data", (c: Buffer) => log.push(...c.toString("utf8").split("\n").filter(Boolean)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${url}/v2/`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Distribution did not start:\n${log.join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function putManifest(url: string, repo: string, reference: string, body: Buffer, mediaType: string): Promise<string> {
  const res = await fetch(`${url}/v2/${repo}/manifests/${reference}`, { method: "PUT", body, headers: { "content-type": mediaType } });
  assert.equal(res.status, 201, await res.text());
  return sha256(body);
}

async function pushBlob(url: string, repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  assert.equal(start.status, 202, await start.text());
  const location = new URL(start.headers.get("location")!, url);
  location.searchParams.set("digest", digest);
  const res = await fetch(location, { method: "PUT", body: data, headers: { "content-type": "application/octet-stream" } });
  assert.equal(res.status, 201, await res.text());
  return digest;
}

describe("proxy cache across replicas", { skip: (!pgUrl || !redisUrl) && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let h: Harness;
  let upstream: Awaited<ReturnType<typeof startDistribution>>;
  const layer = randomBytes(4 * 1024 * 1024);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
  let manifest: Buffer;

  before(async () => {
    upstream = await startDistribution();
    const layerDigest = await pushBlob(upstream.url, "library/app", layer);
    const configDigest = await pushBlob(upstream.url, "library/app", config);
    manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layerDigest, size: layer.length }],
      }),
    );
    await putManifest(upstream.url, "library/app", "1", manifest, "application/vnd.oci.image.manifest.v1+json");

    h = await startHarness(pgUrl!, { proxy: { redisUrl: redisUrl! } });
    await h.addInstance();
    const owner = await h.prisma.$queryRaw<{ id: number }[]>`INSERT INTO users (username, password_hash, updated_at) VALUES ('owner', 'x', now()) RETURNING id`;
    const registry = await h.prisma.$queryRaw<{ id: number }[]>`
      INSERT INTO registries (name, type, url, updated_at) VALUES ('distribution', 'docker-registry', ${upstream.url}, now()) RETURNING id`;
    await h.prisma.$executeRaw`INSERT INTO projects (name, owner_id, registry_id, updated_at) VALUES ('proxy', ${owner[0]!.id}, ${registry[0]!.id}, now())`;
    await h.prisma.$executeRaw`
      INSERT INTO projects (name, owner_id, registry_id, storage_limit, updated_at) VALUES ('tight', ${owner[0]!.id}, ${registry[0]!.id}, ${1024 * 1024}, now())`;
  });

  after(async () => {
    await h?.close();
    await upstream?.stop();
  });

  test("10 concurrent pulls of a missing blob over two replicas: one upstream fetch, every puller gets the right bytes", async () => {
    const digest = sha256(layer);
    const token = h.token(["repository:proxy/library/app:pull"]);
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => h.request("GET", `/v2/proxy/library/app/blobs/${digest}`, { token, port: h.instances[i % 2]!.port })),
    );
    for (const r of replies) {
      assert.equal(r.status, 200, r.body.subarray(0, 300).toString());
      assert.equal(sha256(r.body), digest);
    }
    const fetches = upstream.log.filter((l) => l.includes(`"GET /v2/library/app/blobs/${digest} `));
    assert.equal(fetches.length, 1, `fetched once from the upstream:\n${fetches.join("\n")}`);
    const rows = await h.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM blobs WHERE digest = ${digest}`;
    assert.equal(Number(rows[0]!.n), 1);
  });

  test("a manifest miss is served, verified, and cached with its blobs in the background", async () => {
    const token = h.token(["repository:proxy/library/app:pull"]);
    const res = await h.request("GET", "/v2/proxy/library/app/manifests/1", { token, headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers["docker-content-digest"], sha256(manifest));
    assert.deepEqual(res.body, manifest);
    for (const i of h.instances) await i.proxy!.manifests.settle();
    const tags = await h.prisma.$queryRaw<{ digest: string }[]>`
      SELECT m.digest FROM tags t JOIN manifests m ON m.id = t.manifest_id JOIN repositories r ON r.id = t.repository_id WHERE r.name = 'proxy/library/app' AND t.name = '1'`;
    assert.deepEqual(tags, [{ digest: sha256(manifest) }]);
    const gets = upstream.log.filter((l) => l.includes('"GET /v2/library/app/manifests/')).length;
    const again = await h.request("GET", `/v2/proxy/library/app/manifests/1`, { token, port: h.instances[1]!.port });
    assert.equal(again.status, 200);
    assert.equal(upstream.log.filter((l) => l.includes('"GET /v2/library/app/manifests/')).length, gets, "the cached manifest is served (a HEAD revalidated it)");
  });

  test("quotas apply: a blob that would not fit is refused before a byte moves, and not cached", async () => {
    const digest = sha256(layer);
    const token = h.token(["repository:tight/library/app:pull"]);
    const before = upstream.log.length;
    const res = await h.request("GET", `/v2/tight/library/app/blobs/${digest}`, { token });
    assert.equal(res.status, 403, res.body.toString());
    assert.equal(res.json().errors[0].code, "DENIED");
    assert.match(res.json().errors[0].message, /quota exceeded: project "tight"/);
    const linked = await h.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id WHERE r.name = 'tight/library/app'`;
    assert.equal(Number(linked[0]!.n), 0);
    const events = await h.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM outbox_events WHERE type = 'quota.exceeded' AND payload->>'repository' = 'tight/library/app'`;
    assert.equal(Number(events[0]!.n), 1);
    const small = sha256(config);
    const fits = await h.request("GET", `/v2/tight/library/app/blobs/${small}`, { token });
    assert.equal(fits.status, 200, "a blob that fits is cached");
    assert.ok(upstream.log.slice(before).some((l) => l.includes(`"GET /v2/library/app/blobs/${small} `)));
  });

  test("pushes are DENIED; what the upstream does not have is MANIFEST_UNKNOWN / BLOB_UNKNOWN", async () => {
    const token = h.token(["repository:proxy/library/app:pull,push", "repository:proxy/library/none:pull"]);
    const start = await h.request("POST", "/v2/proxy/library/app/blobs/uploads/", { token });
    assert.equal(start.status, 403);
    assert.equal(start.json().errors[0].code, "DENIED");
    assert.match(start.json().errors[0].message, /proxy cache of registry distribution/);
    const missing = await h.request("GET", "/v2/proxy/library/none/manifests/1", { token });
    assert.equal(missing.status, 404);
    assert.equal(missing.json().errors[0].code, "MANIFEST_UNKNOWN");
    const blob = await h.request("GET", `/v2/proxy/library/app/blobs/${sha256(Buffer.from("nope"))}`, { token });
    assert.equal(blob.status, 404);
    assert.equal(blob.json().errors[0].code, "BLOB_UNKNOWN");
  });

  // Last: it stops the upstream.
  test("an image index by tag: cached at once, platforms cached and linked on demand, both served with the upstream gone", async () => {
    const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    const platforms = [];
    for (const architecture of ["amd64", "arm64"]) {
      const cfg = Buffer.from(JSON.stringify({ architecture, os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
      const data = randomBytes(64 * 1024);
      const image = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: await pushBlob(upstream.url, "library/multi", cfg), size: cfg.length },
          layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: await pushBlob(upstream.url, "library/multi", data), size: data.length }],
        }),
      );
      const digest = await putManifest(upstream.url, "library/multi", sha256(image), image, OCI_MANIFEST);
      platforms.push({ mediaType: OCI_MANIFEST, digest, size: image.length, platform: { architecture, os: "linux" } });
    }
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: platforms }));
    const indexDigest = await putManifest(upstream.url, "library/multi", "2", index, OCI_INDEX);
    const [amd64, arm64] = platforms.map((p) => p.digest) as [string, string];
    const token = h.token(["repository:proxy/library/multi:pull"]);
    const accept = { accept: `${OCI_INDEX}, ${OCI_MANIFEST}` };
    const settle = async () => {
      for (const i of h.instances) await i.proxy!.manifests.settle();
    };
    const children = () =>
      h.prisma.$queryRaw<{ digest: string; child: string | null }[]>`
        SELECT mr.digest, c.digest AS child FROM manifest_references mr JOIN manifests p ON p.id = mr.manifest_id LEFT JOIN manifests c ON c.id = mr.child_manifest_id
        WHERE p.digest = ${indexDigest} AND mr.kind = 'child' ORDER BY mr.digest`;
    const sorted = (rows: { digest: string; child: string | null }[]) => [...rows].sort((a, b) => a.digest.localeCompare(b.digest));

    const first = await h.request("GET", "/v2/proxy/library/multi/manifests/2", { token, headers: accept });
    assert.equal(first.status, 200, first.body.toString());
    assert.equal(first.headers["docker-content-digest"], indexDigest);
    assert.deepEqual(first.body, index);
    await settle();
    const tagged = await h.prisma.$queryRaw<{ digest: string }[]>`
      SELECT m.digest FROM tags t JOIN manifests m ON m.id = t.manifest_id JOIN repositories r ON r.id = t.repository_id WHERE r.name = 'proxy/library/multi' AND t.name = '2'`;
    assert.deepEqual(tagged, [{ digest: indexDigest }], "the index is cached under its tag, its platforms not yet");
    assert.deepEqual(await children(), sorted([{ digest: amd64, child: null }, { digest: arm64, child: null }]));

    const platform = await h.request("GET", `/v2/proxy/library/multi/manifests/${amd64}`, { token, headers: accept, port: h.instances[1]!.port });
    assert.equal(platform.status, 200, platform.body.toString());
    assert.equal(sha256(platform.body), amd64);
    await settle();
    assert.deepEqual(await children(), sorted([{ digest: amd64, child: amd64 }, { digest: arm64, child: null }]), "the platform asked for is linked as the index's child");
    // Linked as a pushed index's child: it cannot be deleted while the index lists it.
    await assert.rejects(h.instances[0]!.store.manifests.delete("proxy/library/multi", parseManifestReference(amd64)), ManifestReferencedError);
    assert.equal(await h.instances[0]!.store.manifests.deleteIfUnused("proxy/library/multi", parseDigest(amd64), 0), false, "GC's untagged sweep keeps it");

    await upstream.stop();
    const again = await h.request("GET", "/v2/proxy/library/multi/manifests/2", { token, headers: accept });
    assert.equal(again.status, 200, again.body.toString());
    assert.equal(again.headers["docker-content-digest"], indexDigest);
    const cachedPlatform = await h.request("GET", `/v2/proxy/library/multi/manifests/${amd64}`, { token, headers: accept });
    assert.equal(cachedPlatform.status, 200);
    assert.equal(sha256(cachedPlatform.body), amd64);
    const neverAsked = await h.request("GET", `/v2/proxy/library/multi/manifests/${arm64}`, { token, headers: accept });
    assert.equal(neverAsked.status, 404);
    assert.equal(neverAsked.json().errors[0].code, "MANIFEST_UNKNOWN");
    assert.match(neverAsked.json().errors[0].message, /is not in the proxy cache, and its upstream registry distribution failed/);
  });
});
