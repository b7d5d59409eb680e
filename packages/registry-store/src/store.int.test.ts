/**
 * The locks GC relies on (GC.md races 2 and 3), against a real PostgreSQL: a GC transaction
 * holding `FOR UPDATE` on a blob row makes a manifest push wait, and the push then sees the blob
 * gone; an upload completing during that GC transaction writes its row and content afterwards.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { createPrismaClient, type PrismaClient } from "@berth/db";
import { createTestDatabase, type TestDatabase } from "@berth/db/testing";
import { parseDigest, parseManifestReference, type Digest } from "@berth/oci";
import { FilesystemDriver } from "@berth/storage";
import { createRegistryStore, ManifestBlobUnknownError, type RegistryStore } from "./index.js";
import { blobDataPath } from "./paths.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];
const digestOf = (b: Buffer | string) => parseDigest(`sha256:${createHash("sha256").update(b).digest("hex")}`);

describe("registry-store locks", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let store: RegistryStore;
  let dir: string;
  let driver: FilesystemDriver;
  before(async () => {
    db = await createTestDatabase(adminUrl!);
    prisma = createPrismaClient(db.url, { poolSize: 4 });
    dir = await mkdtemp(join(tmpdir(), "berth-store-"));
    driver = new FilesystemDriver({ rootDirectory: dir });
    store = createRegistryStore({ db: prisma, driver });
  });
  after(async () => {
    await store?.close();
    await prisma?.$disconnect();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function upload(repo: string, bytes: Buffer): Promise<Digest> {
    const digest = digestOf(bytes);
    await store.uploads.uploadMonolithic(repo, digest, (async function* () { yield bytes; })(), bytes.length);
    return digest;
  }

  /** A GC stand-in: locks the blob row FOR UPDATE, removes link, row and content, commits later. */
  async function gcHolding(digest: Digest): Promise<{ commit(): Promise<void> }> {
    const gc = new pg.Client({ connectionString: db.url });
    await gc.connect();
    await gc.query("BEGIN");
    await gc.query("SELECT digest FROM blobs WHERE digest = $1 FOR UPDATE", [digest]);
    await gc.query("DELETE FROM repository_blobs WHERE blob_digest = $1", [digest]);
    await gc.query("DELETE FROM blobs WHERE digest = $1", [digest]);
    await driver.delete(blobDataPath(digest));
    return {
      async commit() {
        await gc.query("COMMIT");
        await gc.end();
      },
    };
  }

  test("a manifest push waits for GC's lock and then reports the blob unknown", async () => {
    const config = await upload("gc/a", Buffer.from('{"a":1}'));
    const layer = await upload("gc/a", Buffer.from("layer-a"));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config, size: 7 },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer, size: 7 }],
      }),
    );
    const gc = await gcHolding(layer);
    let settled = false;
    const push = store.manifests.put("gc/a", parseManifestReference("v1"), manifest, undefined).then(
      () => ((settled = true), undefined),
      (err: unknown) => ((settled = true), err),
    );
    await sleep(300);
    assert.equal(settled, false, "the push must wait for GC's row lock");
    await gc.commit();
    const err = await push;
    assert.ok(err instanceof ManifestBlobUnknownError, String(err));
    assert.deepEqual(err.blobs, [layer]);
    // the client re-uploads and pushes again
    await upload("gc/a", Buffer.from("layer-a"));
    const pushed = await store.manifests.put("gc/a", parseManifestReference("v1"), manifest, undefined);
    assert.equal(pushed.digest, digestOf(manifest));
  });

  test("an upload completing during GC's deletion ends with row and content present", async () => {
    const bytes = Buffer.from("re-uploaded while GC deletes");
    const digest = await upload("gc/b", bytes);
    const gc = await gcHolding(digest);
    const again = upload("gc/b", bytes).then((d) => d, (e: unknown) => e);
    await sleep(300);
    await gc.commit();
    assert.equal(await again, digest);
    const info = await store.blobs.stat("gc/b", digest);
    assert.equal(info.size, bytes.length);
    assert.deepEqual(await driver.getContent(blobDataPath(digest)), bytes);
  });

  test("a push re-checks the content of blobs whose row is old", async () => {
    const bytes = Buffer.from("old blob");
    const digest = await upload("gc/c", bytes);
    await prisma.$executeRawUnsafe(`UPDATE blobs SET updated_at = now() - interval '1 hour' WHERE digest = $1`, digest);
    await driver.delete(blobDataPath(digest));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest, size: bytes.length },
        layers: [],
      }),
    );
    await assert.rejects(store.manifests.put("gc/c", parseManifestReference("v1"), manifest, undefined), ManifestBlobUnknownError);
  });
});
