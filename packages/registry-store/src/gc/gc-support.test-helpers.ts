/** Shared fixtures of the GC integration tests (a database, a filesystem driver, stores, pushes). */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPrismaClient, JOB_LIMITS, type PrismaClient } from "@berth/db";
import { createTestDatabase, type TestDatabase } from "@berth/db/testing";
import { parseDigest, parseManifestReference, type Digest } from "@berth/oci";
import { FilesystemDriver, PathNotFoundError } from "@berth/storage";
import { ManifestBlobUnknownError } from "../errors.js";
import { createRegistryStore, type RegistryStore } from "../index.js";
import { ManifestStore } from "../manifest-store.js";
import { blobDataPath } from "../paths.js";
import { GarbageCollector, type GarbageCollectorOptions } from "./garbage-collector.js";

export const digestOf = (b: Buffer | string): Digest => parseDigest(`sha256:${createHash("sha256").update(b).digest("hex")}`);

export interface GcFixture {
  db: TestDatabase;
  prisma: PrismaClient;
  driver: FilesystemDriver;
  store: RegistryStore;
  dir: string;
  gc(options?: Partial<GarbageCollectorOptions>): GarbageCollector;
  upload(repo: string, bytes: Buffer): Promise<Digest>;
  /** An image manifest over `config` and `layers` (bytes), as pushed. */
  imageManifest(config: Buffer, layers: Buffer[], extra?: Record<string, unknown>): Buffer;
  push(repo: string, tag: string, body: Buffer): Promise<Digest>;
  /** Whether the blob's content is in storage and hashes to its digest. */
  contentVerifies(digest: Digest): Promise<boolean>;
  contentExists(digest: Digest): Promise<boolean>;
  blobRow(digest: Digest): Promise<{ status: string } | undefined>;
  /** Makes every timestamp old (the window then covers nothing pushed so far). */
  age(hours: number): Promise<void>;
  close(): Promise<void>;
}

export async function createGcFixture(adminUrl: string, poolSize = 10): Promise<GcFixture> {
  const db = await createTestDatabase(adminUrl);
  // Stress runs: pushes and GC contend for one pool, so the long job bounds and a long connect wait.
  const prisma = createPrismaClient(db.url, { poolSize, limits: { ...JOB_LIMITS, connectTimeoutMs: 60_000 } });
  const dir = await mkdtemp(join(tmpdir(), "berth-gc-"));
  const driver = new FilesystemDriver({ rootDirectory: dir });
  const store = createRegistryStore({ db: prisma, driver });
  const f: GcFixture = {
    db,
    prisma,
    driver,
    store,
    dir,
    gc: (options = {}) => new GarbageCollector({ db: prisma, driver, manifests: new ManifestStore({ db: prisma, driver }), ...options }),
    async upload(repo, bytes) {
      const digest = digestOf(bytes);
      await store.uploads.uploadMonolithic(repo, digest, (async function* () { yield bytes; })(), bytes.length);
      return digest;
    },
    imageManifest(config, layers, extra = {}) {
      return Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digestOf(config), size: config.length },
          layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: digestOf(l), size: l.length })),
          ...extra,
        }),
      );
    },
    async push(repo, tag, body) {
      return (await store.manifests.put(repo, parseManifestReference(tag), body, undefined)).digest;
    },
    async contentExists(digest) {
      return driver.stat(blobDataPath(digest)).then(() => true, (e: unknown) => {
        if (e instanceof PathNotFoundError) return false;
        throw e;
      });
    },
    async contentVerifies(digest) {
      try {
        return digestOf(await driver.getContent(blobDataPath(digest))) === digest;
      } catch (e) {
        if (e instanceof PathNotFoundError) return false;
        throw e;
      }
    },
    async blobRow(digest) {
      const rows = await prisma.$queryRaw<{ status: string }[]>`SELECT status FROM blobs WHERE digest = ${digest}`;
      return rows[0];
    },
    async age(hours) {
      const s = hours * 3600;
      await prisma.$executeRaw`UPDATE blobs SET updated_at = updated_at - make_interval(secs => ${s})`;
      await prisma.$executeRaw`UPDATE repository_blobs SET created_at = created_at - make_interval(secs => ${s})`;
      await prisma.$executeRaw`UPDATE manifests SET pushed_at = pushed_at - make_interval(secs => ${s})`;
      await prisma.$executeRaw`UPDATE upload_sessions SET updated_at = updated_at - make_interval(secs => ${s})`;
    },
    async close() {
      await store.close();
      await prisma.$disconnect();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return f;
}

/** Pushes `body` to `repo:tag`, re-uploading what the registry reports missing (as clients do). */
export async function pushWithRetry(f: GcFixture, repo: string, tag: string, body: Buffer, blobs: Map<string, Buffer>, attempts = 20): Promise<Digest> {
  for (let i = 0; ; i++) {
    try {
      return await f.push(repo, tag, body);
    } catch (err) {
      if (!(err instanceof ManifestBlobUnknownError) || i >= attempts) throw err;
      for (const d of err.blobs) await f.upload(repo, blobs.get(d)!);
    }
  }
}
