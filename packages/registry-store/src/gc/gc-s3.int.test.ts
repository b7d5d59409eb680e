/**
 * One focused GC run on the S3 driver (an in-process s3rver): a dry run deletes nothing; the real
 * run deletes an unreferenced blob (object and row), keeps referenced ones, and its storage walk
 * removes an orphan object (no row) and an orphan upload (no session row). An orphan upload that
 * is only an unfinished S3 writer is not found yet (todo test below).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createPrismaClient, type PrismaClient } from "@berth/db";
import { createTestDatabase, type TestDatabase } from "@berth/db/testing";
import { parseDigest, parseManifestReference, type Digest } from "@berth/oci";
import { PathNotFoundError } from "@berth/storage";
import { S3Driver } from "@berth/storage/s3";
import { startS3rver, type TestS3Server } from "@berth/storage/testing";
import { createRegistryStore, type RegistryStore } from "../index.js";
import { ManifestStore } from "../manifest-store.js";
import { blobDataPath, uploadDataPath } from "../paths.js";
import { GarbageCollector } from "./garbage-collector.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];
const digestOf = (b: Buffer): Digest => parseDigest(`sha256:${createHash("sha256").update(b).digest("hex")}`);
const REPO = "s3gc/app";

describe("online GC on S3 (s3rver)", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let dir: string;
  let server: TestS3Server;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let driver: S3Driver;
  let store: RegistryStore;
  const bucket = "berth-gc";

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-gc-s3-"));
    server = await startS3rver(dir);
    await server.createBucket(bucket);
    driver = new S3Driver(server.driverOptions(bucket));
    db = await createTestDatabase(adminUrl!);
    prisma = createPrismaClient(db.url, { poolSize: 5 });
    store = createRegistryStore({ db: prisma, driver });
  });

  after(async () => {
    await store?.close();
    await prisma?.$disconnect();
    await db?.drop();
    await driver?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Every key of the bucket (hidden writer states included), without the root directory. */
  async function keys(): Promise<string[]> {
    const res = await fetch(`${server.endpoint}/${bucket}?list-type=2&prefix=registry/`);
    return [...(await res.text()).matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!.slice("registry/".length));
  }
  const objectOf = (d: Digest) => blobDataPath(d).slice(1);
  const verifies = async (d: Digest) =>
    driver.getContent(blobDataPath(d)).then(
      (b) => digestOf(b) === d,
      (e: unknown) => (e instanceof PathNotFoundError ? false : Promise.reject(e)),
    );
  const row = async (d: Digest) => (await prisma.$queryRaw<{ status: string }[]>`SELECT status FROM blobs WHERE digest = ${d}`)[0];
  const gc = () => new GarbageCollector({ db: prisma, driver, manifests: new ManifestStore({ db: prisma, driver }), uploadMinIdleHours: 0 });
  async function upload(bytes: Buffer): Promise<Digest> {
    const d = digestOf(bytes);
    await store.uploads.uploadMonolithic(REPO, d, (async function* () { yield bytes; })(), bytes.length);
    return d;
  }

  test("dry run deletes nothing; the run deletes the unreferenced blob and orphans, keeps the referenced", async () => {
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const layer = Buffer.alloc(6 * 1024 * 1024 + 1, 7); // over one part: stored by a multipart upload
    const kept = [await upload(config), await upload(layer)];
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: kept[0], size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: kept[1], size: layer.length }],
      }),
    );
    await store.manifests.put(REPO, parseManifestReference("v1"), manifest, undefined);
    const loose = await upload(Buffer.from("unreferenced s3 blob"));
    // an object without a row (a crash between GC's content and row deletes elsewhere)
    const orphanBytes = Buffer.from("orphan s3 object");
    const orphan = digestOf(orphanBytes);
    await driver.putContent(blobDataPath(orphan), orphanBytes);
    // an upload whose session row is gone (purged, crash before its bytes were deleted): a
    // committed file, and an unfinished S3 writer (only a ~writers state object exists)
    const deadUpload = "00000000-0000-4000-8000-00000000d001";
    await driver.putContent(uploadDataPath(deadUpload), "partial");
    const before = await keys();
    for (const d of [...kept, loose, orphan]) assert.ok(before.includes(objectOf(d)), d);

    const lines: string[] = [];
    const dry = await gc().run({ dryRun: true, timeWindowHours: 0 }, (l) => lines.push(l));
    assert.equal(dry.dryRun, true);
    assert.equal(dry.blobsDeleted, 1);
    assert.equal(dry.orphanBlobFiles, 1);
    assert.equal(dry.orphanUploadDirs, 1);
    assert.ok(lines.some((l) => l.includes(`would delete blob ${loose}`)), lines.join("\n"));
    assert.deepEqual(await keys(), before, "a dry run deletes no object");
    assert.equal((await row(loose))?.status, "none");
    assert.equal(await row(orphan), undefined);

    const report = await gc().run({ timeWindowHours: 0 });
    assert.equal(report.blobsDeleted, 1);
    assert.equal(report.orphanBlobFiles, 1);
    assert.equal(report.orphanUploadDirs, 1);
    assert.equal(await row(loose), undefined, "unreferenced: row gone");
    assert.equal(await row(orphan), undefined, "the walk's placeholder row goes with the object");
    const after = await keys();
    assert.ok(!after.includes(objectOf(loose)), "unreferenced: object gone");
    assert.ok(!after.includes(objectOf(orphan)), "orphan object gone");
    assert.ok(!after.some((k) => k.startsWith(`uploads/${deadUpload}/`)), "orphan upload gone");
    for (const d of kept) {
      assert.equal((await row(d))?.status, "none");
      assert.ok(await verifies(d), `referenced ${d} kept intact`);
    }
    // the kept image still resolves
    const got = await store.manifests.get(REPO, parseManifestReference("v1"));
    assert.equal(got.digest, digestOf(manifest));
  });

  test("the storage walk also removes an upload without a session that is only an unfinished S3 writer", async () => {
    const id = "00000000-0000-4000-8000-00000000d002";
    const w = await driver.writer(uploadDataPath(id), { append: true });
    await w.write(Buffer.from("unfinished"));
    await w.close();
    assert.ok((await keys()).includes(`~writers/uploads/${id}/data`));
    // Fresh: the upload idle threshold (24 h by default) keeps it.
    assert.equal((await gc().run({ timeWindowHours: 1 })).orphanUploadDirs, 0);
    assert.ok((await keys()).includes(`~writers/uploads/${id}/data`), "a fresh unfinished upload is kept");
    const report = await gc().run({ timeWindowHours: 0 });
    assert.equal(report.orphanUploadDirs, 1);
    assert.ok(!(await keys()).some((k) => k.includes(id)), "writer state gone");
  });
});
