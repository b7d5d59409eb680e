import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DeleteBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { runDriverSuite } from "./driver-suite.js";
import { S3Driver, type S3DriverOptions } from "./s3-driver.js";
import { S3RVER_CREDENTIALS, startS3rver, type TestS3Server } from "./s3rver.js";

const MiB = 1024 * 1024;
let server: TestS3Server | undefined;
let directory = "";

before(async () => {
  directory = await mkdtemp(join(tmpdir(), "berth-s3rver-"));
  server = await startS3rver(directory);
});

after(async () => {
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

/** A driver on the test server: its own root, presigned redirects on. */
function driverOptions(bucket: string, extra: Partial<S3DriverOptions> = {}): S3DriverOptions {
  return server!.driverOptions(bucket, { rootDirectory: "berth/registry", redirect: true, ...extra });
}

const createBucket = () => server!.createBucket();

function adminClient(): S3Client {
  return new S3Client({ region: "us-east-1", endpoint: server!.endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
}

runDriverSuite(
  "s3 (s3rver)",
  async () => {
    const bucket = await createBucket();
    const drivers = [new S3Driver(driverOptions(bucket))];
    return {
      driver: drivers[0]!,
      reopen: async () => {
        const driver = new S3Driver(driverOptions(bucket));
        drivers.push(driver);
        return driver;
      },
      cleanup: async () => {
        for (const driver of drivers) await driver.close();
      },
    };
  },
  { redirect: true, atomicMoveVisible: false },
);

test("s3: a driver without redirect gives no URL; chunkSize below 5 MiB is refused", async () => {
  const bucket = await createBucket();
  const driver = new S3Driver(driverOptions(bucket, { redirect: false }));
  try {
    await driver.putContent("/x", "y");
    assert.equal(await driver.redirectURL("/x", { method: "GET" }), undefined);
  } finally {
    await driver.close();
  }
  assert.throws(() => new S3Driver(driverOptions(bucket, { chunkSize: MiB })), RangeError);
});

test("s3: rootDirectory isolates drivers sharing a bucket", async () => {
  const bucket = await createBucket();
  const a = new S3Driver(driverOptions(bucket, { rootDirectory: "a" }));
  const b = new S3Driver(driverOptions(bucket, { rootDirectory: "/b/" }));
  try {
    await a.putContent("/f", "from a");
    await b.putContent("/f", "from b");
    assert.equal((await a.getContent("/f")).toString(), "from a");
    assert.deepEqual(await b.list("/"), ["/f"]);
    await a.delete("/f");
    assert.equal((await b.getContent("/f")).toString(), "from b");
  } finally {
    await a.close();
    await b.close();
    const client = adminClient();
    await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    client.destroy();
  }
});
