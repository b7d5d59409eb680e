/**
 * `@berth/storage`: the byte-level storage driver interface, its filesystem and S3 drivers, the
 * configuration that picks one, and a resumable sha256. Knows nothing about OCI.
 */
export type { FileInfo, FileWriter, ReadRange, RedirectOptions, StorageDriver, WalkControl, WalkFn, WriterOptions } from "./driver.js";
export {
  InvalidOffsetError,
  InvalidPathError,
  PathNotFoundError,
  StorageError,
  UnsupportedMethodError,
  WriterClosedError,
} from "./errors.js";
export { isValidPath, isValidSegment, joinPath, parentPath, pathProblem, validatePath } from "./paths.js";
export { BaseFileWriter } from "./file-writer.js";
export { FilesystemDriver, type FilesystemDriverOptions } from "./filesystem-driver.js";
export type { S3Driver, S3DriverOptions } from "./s3-driver.js";
export {
  ConfigError,
  createStorageDriver,
  filesystemStorageConfigSchema,
  parseStorageConfig,
  s3StorageConfigSchema,
  storageConfigFromEnv,
  storageConfigSchema,
  storageDriverNames,
  storageEnvVars,
  type StorageConfig,
  type StorageConfigInput,
  type StorageDriverName,
} from "./create-driver.js";
export { HashStateError, hashStream, rehashStored, Sha256 } from "./hashing.js";
export { RunningHashCache, RunningSha256, HashStateLostError, createUploadHash, type UploadHash } from "./running-hash.js";
