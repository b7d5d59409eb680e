/**
 * An in-process `s3rver` for tests: listens on 127.0.0.1, port 0, keeps its objects in a
 * directory it is given, and hands out buckets (created with an unsigned path-style PUT, which
 * s3rver accepts). Its fixed credentials are S3RVER/S3RVER.
 */
import type { AddressInfo } from "node:net";
import S3rver from "s3rver";
import type { S3Driver, S3DriverOptions } from "./s3-driver.js";

export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export interface TestS3Server {
  endpoint: string;
  /** Creates a bucket and returns its name. */
  createBucket(name?: string): Promise<string>;
  /** Options of an S3 driver over `bucket` on this server (path-style, 5 MiB parts). */
  driverOptions(bucket: string, extra?: Partial<S3DriverOptions>): S3DriverOptions;
  close(): Promise<void>;
}

let buckets = 0;

export async function startS3rver(directory: string): Promise<TestS3Server> {
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory });
  const address: AddressInfo = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    async createBucket(name = `berth-test-${process.pid}-${++buckets}`) {
      const res = await fetch(`${endpoint}/${name}`, { method: "PUT" });
      if (!res.ok) throw new Error(`s3rver: creating bucket ${name} answered ${res.status}: ${await res.text()}`);
      return name;
    },
    driverOptions(bucket, extra = {}) {
      return {
        bucket,
        region: "us-east-1",
        endpoint,
        forcePathStyle: true,
        ...S3RVER_CREDENTIALS,
        rootDirectory: "registry",
        chunkSize: 5 * 1024 * 1024,
        ...extra,
      };
    },
    async close() {
      await server.close();
    },
  };
}

/**
 * Records the name of every S3 command the driver's client sends (`PutObjectCommand`,
 * `UploadPartCommand`, …), so a test can tell which S3 operations a request used.
 */
export function recordS3Commands(driver: S3Driver): string[] {
  const seen: string[] = [];
  driver.client.middlewareStack.add(
    (next, context) => async (args) => {
      seen.push(String(context.commandName));
      return next(args);
    },
    { step: "initialize", name: "berthTestCommandRecorder" },
  );
  return seen;
}
