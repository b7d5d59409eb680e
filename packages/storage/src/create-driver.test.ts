import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError } from "@berth/config";
import { createStorageDriver, parseStorageConfig, storageConfigFromEnv } from "./create-driver.js";
import { FilesystemDriver } from "./filesystem-driver.js";
import { S3Driver } from "./s3-driver.js";

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail("expected a ConfigError");
}

test("filesystem from env (the default driver when BERTH_STORAGE_DRIVER is unset)", () => {
  const config = storageConfigFromEnv({ BERTH_STORAGE_FILESYSTEM_ROOT: "/var/lib/berth" });
  assert.deepEqual(config, { driver: "filesystem", rootDirectory: "/var/lib/berth" });
  assert.deepEqual(problems(() => storageConfigFromEnv({ BERTH_STORAGE_DRIVER: "filesystem" })).length, 1);
  assert.match(problems(() => storageConfigFromEnv({ BERTH_STORAGE_FILESYSTEM_ROOT: "relative" }))[0]!, /BERTH_STORAGE_FILESYSTEM_ROOT: must be an absolute path/);
});

test("an unknown driver name fails loudly, from env and from an object", async () => {
  assert.match(problems(() => storageConfigFromEnv({ BERTH_STORAGE_DRIVER: "gcs" }))[0]!, /unknown storage driver "gcs"/);
  assert.match(problems(() => storageConfigFromEnv({ BERTH_STORAGE_DRIVER: "" }))[0]!, /unknown storage driver ""/);
  assert.match(problems(() => parseStorageConfig({ driver: "azure" }))[0]!, /unknown storage driver "azure"/);
  await assert.rejects(createStorageDriver({ driver: "S3" } as never), ConfigError);
});

test("s3 from env, with defaults, and every problem at once", () => {
  const config = storageConfigFromEnv({
    BERTH_STORAGE_DRIVER: "s3",
    BERTH_STORAGE_S3_BUCKET: "berth-blobs",
    BERTH_STORAGE_S3_ENDPOINT: "http://127.0.0.1:9000",
    BERTH_STORAGE_S3_FORCE_PATH_STYLE: "true",
    BERTH_STORAGE_S3_ACCESS_KEY: "AK",
    BERTH_STORAGE_S3_SECRET_KEY: "SK",
    BERTH_STORAGE_S3_ROOT_DIRECTORY: "/registry/",
    BERTH_STORAGE_S3_CHUNK_SIZE: "8388608",
    BERTH_STORAGE_S3_REDIRECT: "1",
  });
  assert.deepEqual(config, {
    driver: "s3",
    bucket: "berth-blobs",
    region: "us-east-1",
    endpoint: "http://127.0.0.1:9000",
    forcePathStyle: true,
    accessKeyId: "AK",
    secretAccessKey: "SK",
    rootDirectory: "registry",
    chunkSize: 8388608,
    redirect: true,
  });
  const found = problems(() =>
    storageConfigFromEnv({
      BERTH_STORAGE_DRIVER: "s3",
      BERTH_STORAGE_S3_BUCKET: "ab",
      BERTH_STORAGE_S3_CHUNK_SIZE: "1048576",
      BERTH_STORAGE_S3_REDIRECT: "maybe",
      BERTH_STORAGE_S3_ACCESS_KEY: "only-half",
      BERTH_STORAGE_S3_ROOT_DIRECTORY: "a/../b",
    }),
  );
  for (const name of ["REDIRECT", "BUCKET", "CHUNK_SIZE", "SECRET_KEY", "ROOT_DIRECTORY"]) {
    assert.ok(found.some((p) => p.startsWith(`BERTH_STORAGE_S3_${name}:`)), `${name} in ${found.join("; ")}`);
  }
});

test("createStorageDriver builds the configured driver", async () => {
  const root = await mkdtemp(join(tmpdir(), "berth-create-"));
  try {
    assert.ok((await createStorageDriver({ driver: "filesystem", rootDirectory: root })) instanceof FilesystemDriver);
    const s3 = await createStorageDriver({ driver: "s3", bucket: "bucket", accessKeyId: "a", secretAccessKey: "b" });
    assert.ok(s3 instanceof S3Driver);
    assert.equal(s3.chunkSize, 10 * 1024 * 1024);
    await s3.close?.();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("with dataDir, a filesystem driver without a root stores under <dataDir>/registry (the registry's default)", () => {
  assert.deepEqual(storageConfigFromEnv({}, { dataDir: "/srv/berth" }), { driver: "filesystem", rootDirectory: "/srv/berth/registry" });
  assert.deepEqual(storageConfigFromEnv({ BERTH_STORAGE_DRIVER: "" }, { dataDir: "/srv/berth" }), { driver: "filesystem", rootDirectory: "/srv/berth/registry" });
  assert.deepEqual(storageConfigFromEnv({ BERTH_STORAGE_FILESYSTEM_ROOT: "/mnt/blobs" }, { dataDir: "/srv/berth" }), { driver: "filesystem", rootDirectory: "/mnt/blobs" });
  assert.equal(storageConfigFromEnv({}, { dataDir: "rel" }).driver, "filesystem");
  assert.equal((storageConfigFromEnv({}, { dataDir: "rel" }) as { rootDirectory: string }).rootDirectory, join(process.cwd(), "rel", "registry"));
  assert.equal(storageConfigFromEnv({ BERTH_STORAGE_DRIVER: "s3", BERTH_STORAGE_S3_BUCKET: "berth-blobs" }, { dataDir: "/srv/berth" }).driver, "s3");
});

test("the internal redirect location lives behind the filesystem driver; other drivers have none", async () => {
  const dir = await mkdtemp(join(tmpdir(), "berth-driver-internal-"));
  try {
    const env = { BERTH_STORAGE_FILESYSTEM_ROOT: dir, BERTH_REGISTRY_ACCEL_REDIRECT: "/_berth_blobs/" };
    const driver = await createStorageDriver(storageConfigFromEnv(env));
    assert.equal(driver.internalRedirect?.("/blobs/sha256/ab/abcd/data"), "/_berth_blobs/blobs/sha256/ab/abcd/data");
    assert.throws(() => driver.internalRedirect?.("/../etc/passwd"));
    const plain = await createStorageDriver(storageConfigFromEnv({ BERTH_STORAGE_FILESYSTEM_ROOT: dir }));
    assert.equal(plain.internalRedirect?.("/blobs/sha256/ab/abcd/data"), undefined);
    assert.match(problems(() => storageConfigFromEnv({ ...env, BERTH_REGISTRY_ACCEL_REDIRECT: "_berth_blobs" }))[0]!, /BERTH_REGISTRY_ACCEL_REDIRECT: must be an nginx location path/);
    const s3 = await createStorageDriver(
      storageConfigFromEnv({ BERTH_STORAGE_DRIVER: "s3", BERTH_STORAGE_S3_BUCKET: "berth-blobs", BERTH_REGISTRY_ACCEL_REDIRECT: "/_berth_blobs/" }),
    );
    assert.equal(s3.internalRedirect?.("/blobs/sha256/ab/abcd/data"), undefined);
    await s3.close?.();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
