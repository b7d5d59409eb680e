/**
 * The proof of GC.md: 8 clients × 30 operations (seeded) push images with shared and own layers
 * into shared repositories, re-tag, delete tags and manifests and re-push the same content, while
 * GC runs in a loop with a 0 window (and `delete_untagged` every other run). Clients re-upload on
 * MANIFEST_BLOB_UNKNOWN, as real clients do. Afterwards: every tag a client believes in resolves to
 * its manifest and every blob of every manifest has its row, its link and content that re-hashes
 * to its digest; after a final run nothing unreferenced is left in the database or in storage.
 * The repositories belong to two projects, so every link and unlink — the clients', GC's — is
 * charged to a quota: each project's stored usage must equal a recount from the links, after the
 * storm and after the final run (GC.md race 6).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseManifestReference, type Digest } from "@berth/oci";
import { ManifestUnknownError } from "../errors.js";
import { createGcFixture, digestOf, pushWithRetry, type GcFixture } from "./gc-support.test-helpers.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];
const CLIENTS = 8;
const OPS = 30;
/** Two repositories of project `stress` (a blob linked by both counts once), one of `other`. */
const REPOS = ["stress/one", "stress/two", "other/three"];
const PROJECTS = ["stress", "other"];

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("online GC under concurrent pushes", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let f: GcFixture;
  before(async () => {
    f = await createGcFixture(adminUrl!, 24);
    for (const name of PROJECTS) await f.prisma.$executeRaw`INSERT INTO projects (name, owner_id) VALUES (${name}, 1)`;
  });

  /** Each project's stored usage equals the recount from its links, and its project_blobs match them. */
  async function assertUsageExact(when: string): Promise<number> {
    const ids = await f.prisma.$queryRaw<{ id: number; name: string }[]>`SELECT id, name FROM projects WHERE name = ANY(${PROJECTS}::text[])`;
    const stored = await f.store.quotas.usage(ids.map((p) => p.id));
    let total = 0;
    for (const p of ids) {
      const recount = await f.store.quotas.recount(p.name);
      assert.equal(stored.get(p.id), recount, `${when}: project ${p.name} stores ${stored.get(p.id)} bytes of usage, the links add up to ${recount}`);
      const drift = await f.prisma.$queryRaw<{ n: bigint }[]>`
        SELECT count(*) AS n FROM (
          (SELECT blob_digest FROM project_blobs WHERE project_id = ${p.id}
           EXCEPT SELECT rb.blob_digest FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id WHERE split_part(r.name, '/', 1) = ${p.name})
          UNION ALL
          (SELECT rb.blob_digest FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id WHERE split_part(r.name, '/', 1) = ${p.name}
           EXCEPT SELECT blob_digest FROM project_blobs WHERE project_id = ${p.id})) d`;
      assert.equal(Number(drift[0]!.n), 0, `${when}: project ${p.name}'s counted blobs are exactly its linked blobs`);
      total += recount;
    }
    return total;
  }
  after(async () => {
    await f?.close();
  });

  test(`${CLIENTS} clients × ${OPS} operations with GC looping at a 0 window`, { timeout: 180_000 }, async () => {
    const shared = Array.from({ length: 6 }, (_, i) => Buffer.from(`shared layer ${i} `.repeat(50 + i)));
    const blobs = new Map<string, Buffer>(shared.map((b) => [digestOf(b), b]));
    /** What each client believes: repo → tag → manifest digest. */
    const believed = new Map<string, Map<string, string>>();
    const bodies = new Map<string, { repo: string; body: Buffer }>();
    let gcRuns = 0;
    let gcErrors: unknown[] = [];
    let stop = false;

    const gcLoop = (async () => {
      while (!stop) {
        try {
          await f.gc().run({ timeWindowHours: 0, deleteUntagged: gcRuns % 2 === 1, workers: 3 });
        } catch (err) {
          gcErrors.push(err);
        }
        gcRuns++;
      }
    })();

    const client = async (c: number) => {
      const rnd = prng(1000 + c);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
      const mine: { repo: string; body: Buffer; digest: string }[] = [];
      const tags = new Map<string, { repo: string; digest: string }>(); // tag → where
      const newImage = async (repo: string, k: number) => {
        const config = Buffer.from(JSON.stringify({ client: c, k, architecture: "amd64" }));
        const own = Buffer.from(`client ${c} op ${k} own layer `.repeat(20));
        const layers = [pick(shared), ...(rnd() < 0.7 ? [own] : []), ...(rnd() < 0.3 ? [pick(shared)] : [])];
        const unique = [...new Map(layers.map((l) => [digestOf(l), l])).values()];
        for (const b of [config, ...unique]) {
          blobs.set(digestOf(b), b);
          await f.upload(repo, b);
        }
        return f.imageManifest(config, unique);
      };
      const push = async (repo: string, tag: string, body: Buffer) => {
        const digest = await pushWithRetry(f, repo, tag, body, blobs);
        bodies.set(`${repo}@${digest}`, { repo, body });
        tags.set(tag, { repo, digest });
        if (!mine.some((m) => m.repo === repo && m.digest === digest)) mine.push({ repo, body, digest });
      };
      for (let k = 0; k < OPS; k++) {
        const r = rnd();
        if (r < 0.4 || mine.length === 0) {
          const repo = pick(REPOS);
          await push(repo, `c${c}-t${k}`, await newImage(repo, k));
        } else if (r < 0.55) {
          // re-tag an image of mine (another tag, same repository)
          const m = pick(mine);
          await push(m.repo, `c${c}-rt${k}`, m.body);
        } else if (r < 0.7) {
          // re-push the same content under its first tag name or a new one
          const m = pick(mine);
          await push(m.repo, `c${c}-again${k}`, m.body);
        } else if (r < 0.85 && tags.size > 0) {
          const tag = pick([...tags.keys()]);
          const where = tags.get(tag)!;
          await f.store.manifests.delete(where.repo, parseManifestReference(tag));
          tags.delete(tag);
        } else {
          const m = pick(mine);
          try {
            await f.store.manifests.delete(m.repo, parseManifestReference(m.digest));
          } catch (err) {
            if (!(err instanceof ManifestUnknownError)) throw err; // GC may have deleted it as untagged
          }
          for (const [t, w] of tags) if (w.repo === m.repo && w.digest === m.digest) tags.delete(t);
          mine.splice(mine.indexOf(m), 1);
        }
      }
      for (const [tag, w] of tags) {
        if (!believed.has(w.repo)) believed.set(w.repo, new Map());
        believed.get(w.repo)!.set(tag, w.digest);
      }
    };

    const started = Date.now();
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
    stop = true;
    await gcLoop;
    assert.deepEqual(gcErrors, []);
    assert.ok(gcRuns >= 2, `GC ran ${gcRuns} times during the pushes`);

    const verifyManifests = async () => {
      // every tag a client believes in resolves to its manifest
      for (const [repo, tags] of believed) {
        for (const [tag, digest] of tags) {
          const m = await f.store.manifests.get(repo, parseManifestReference(tag));
          assert.equal(m.digest, digest, `${repo}:${tag}`);
        }
      }
      // every manifest's blobs: row, link in its repository, content verifying
      const refs = await f.prisma.$queryRaw<{ repository: string; digest: string; linked: boolean; status: string | null }[]>`
        SELECT r.name AS repository, mr.digest,
               EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.repository_id = m.repository_id AND rb.blob_digest = mr.digest) AS linked,
               (SELECT status FROM blobs b WHERE b.digest = mr.digest) AS status
        FROM manifest_references mr JOIN manifests m ON m.id = mr.manifest_id JOIN repositories r ON r.id = m.repository_id
        WHERE mr.kind IN ('config', 'layer')`;
      for (const ref of refs) {
        assert.equal(ref.status, "none", `${ref.repository} ${ref.digest} row`);
        assert.ok(ref.linked, `${ref.repository} ${ref.digest} link`);
        assert.ok(await f.contentVerifies(ref.digest as Digest), `${ref.digest} content`);
        await f.store.blobs.stat(ref.repository, ref.digest as Digest);
      }
      return refs.length;
    };
    const checked = await verifyManifests();
    assert.ok(checked > 0);
    assert.ok((await assertUsageExact("after the storm")) > 0, "the pushes were charged to the projects");

    // a final run: nothing unreferenced is left, and every row has content
    await f.gc().run({ timeWindowHours: 0, deleteUntagged: true, workers: 5 });
    await verifyManifests();
    const rows = await f.prisma.$queryRaw<{ digest: string; referenced: boolean }[]>`
      SELECT b.digest, EXISTS (SELECT 1 FROM manifest_references mr WHERE mr.digest = b.digest) AS referenced FROM blobs b`;
    for (const row of rows) assert.ok(row.referenced, `unreferenced blob ${row.digest} left after the final run`);
    const untagged = await f.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM manifests m WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id)`;
    assert.equal(Number(untagged[0]!.n), 0);
    const files: string[] = [];
    await f.driver.walk("/blobs", (info) => {
      if (!info.isDir) files.push(info.path);
    });
    const rowDigests = new Set(rows.map((r) => r.digest));
    for (const file of files) {
      const m = /^\/blobs\/(\w+)\/..\/(\w+)\/data$/.exec(file);
      assert.ok(m && rowDigests.has(`${m[1]}:${m[2]}`), `file without a row: ${file}`);
    }
    assert.equal(files.length, rowDigests.size);
    for (const d of rowDigests) assert.ok(await f.contentVerifies(d as Digest));
    const danglingLinks = await f.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM repository_blobs rb WHERE NOT EXISTS (
        SELECT 1 FROM manifest_references mr JOIN manifests m ON m.id = mr.manifest_id
        WHERE m.repository_id = rb.repository_id AND mr.digest = rb.blob_digest)`;
    assert.equal(Number(danglingLinks[0]!.n), 0);
    const used = await assertUsageExact("after the final GC run");
    console.log(`stress: projects use ${used} bytes, equal to the recount`);
    console.log(`stress: ${CLIENTS}×${OPS} ops, ${gcRuns} GC runs, ${checked} references verified, ${rowDigests.size} blobs kept, ${Date.now() - started} ms`);
  });
});
