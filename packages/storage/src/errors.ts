/**
 * Domain errors of the storage layer. They say what went wrong in storage terms; the registry
 * maps them to OCI wire errors elsewhere. Every error carries the logical path it is about.
 */

/** Base class of every error thrown deliberately by a storage driver. */
export class StorageError extends Error {
  constructor(
    message: string,
    /** The logical path the operation was about. */
    readonly path: string,
    /** The driver that raised it (`filesystem`, `s3`). */
    readonly driverName?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Nothing is stored at `path` (no file, and for list/walk/delete/stat no directory either). */
export class PathNotFoundError extends StorageError {
  constructor(path: string, driverName?: string, options?: ErrorOptions) {
    super(`path not found: ${path}`, path, driverName, options);
  }
}

/** `path` is not a valid logical path (see {@link validatePath}). */
export class InvalidPathError extends StorageError {
  constructor(path: string, reason: string, driverName?: string) {
    super(`invalid path ${JSON.stringify(path)}: ${reason}`, path, driverName);
  }
}

/** A read was asked to start past the end of the file. */
export class InvalidOffsetError extends StorageError {
  constructor(
    path: string,
    /** The offset asked for. */
    readonly offset: number,
    driverName?: string,
  ) {
    super(`invalid offset ${offset} for ${path}`, path, driverName);
  }
}

/** The driver does not support this operation (or this variant of it). */
export class UnsupportedMethodError extends StorageError {
  constructor(method: string, path: string, driverName?: string) {
    super(`${driverName ?? "storage driver"} does not support ${method}`, path, driverName);
  }
}

/** A writer was used after `commit()`, `cancel()` or `close()`. */
export class WriterClosedError extends StorageError {
  constructor(path: string, state: string) {
    super(`writer for ${path} is already ${state}`, path);
  }
}
