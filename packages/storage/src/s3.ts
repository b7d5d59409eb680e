/**
 * `@berth/storage/s3`: the S3 driver as a class, for code that builds one itself (tests, tools).
 * Kept out of the package's main entry so that a service on the filesystem driver never loads the
 * AWS SDK (about 33 MiB of resident memory per process); `createStorageDriver` loads it on demand.
 */
export { S3Driver, type S3DriverOptions } from "./s3-driver.js";
