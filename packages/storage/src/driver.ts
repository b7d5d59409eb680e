/**
 * The byte-level storage driver: a dumb store of files under logical paths, modeled on CNCF
 * Distribution's `storagedriver.StorageDriver` and adapted to Node streams. Drivers know nothing
 * about OCI; the blob store, upload sessions and links live above this interface.
 */
import type { Readable, Writable } from "node:stream";

/** What {@link StorageDriver.stat}, {@link StorageDriver.walk} report about one entry. */
export interface FileInfo {
  /** Logical path of the entry. */
  path: string;
  /** Size in bytes; 0 for directories. */
  size: number;
  /** Last modification time (for S3 directories: that of some object under them). */
  modTime: Date;
  /** Whether the entry is a directory (on S3: a key prefix that has objects under it). */
  isDir: boolean;
}

/** A byte range to read: from `offset`, at most `length` bytes (to the end when omitted). */
export interface ReadRange {
  offset: number;
  length?: number;
}

/** Options of {@link StorageDriver.writer}. */
export interface WriterOptions {
  /**
   * Resume the file at this path: the writer starts at the end of what earlier writers (of this
   * or another process) wrote and closed. Without `append`, the writer starts empty and its
   * content replaces the file at commit.
   */
  append?: boolean;
}

/** Returned by a walk callback: `"skipDir"` skips a directory's contents (for a file: the rest of its directory); `"stop"` ends the walk. */
export type WalkControl = void | "skipDir" | "stop";

/** Callback of {@link StorageDriver.walk}; called for directories before their contents. */
export type WalkFn = (info: FileInfo) => WalkControl | Promise<WalkControl>;

/** Options of {@link StorageDriver.redirectURL}. */
export interface RedirectOptions {
  method: "GET" | "HEAD";
  /** Seconds the URL stays valid; the driver's default (20 minutes) when omitted. */
  expiresIn?: number;
}

/**
 * A writer of one file. Writes are applied in call order; `write` resolves once the chunk is
 * handed to the backend (the caller may then reuse the chunk's memory). Exactly one of
 * `commit()`, `cancel()` or `close()` ends the writer.
 *
 * Visibility: after `commit()` the whole content is at the path. Before that, what readers see
 * is driver-specific (the filesystem writes in place; S3 keeps it in a multipart upload) —
 * use `writer(path, { append: true }).size` to learn how much an earlier writer stored.
 */
export interface FileWriter {
  /** Logical path being written. */
  readonly path: string;
  /** Bytes in the file so far, including those of earlier writers when appending. */
  readonly size: number;
  /** Append `chunk`. Do not modify the chunk until the promise resolves. */
  write(chunk: Uint8Array): Promise<void>;
  /** Append everything `source` yields, with backpressure; resolves to the bytes taken. */
  writeFrom(source: AsyncIterable<Uint8Array>): Promise<number>;
  /**
   * A `Writable` feeding this writer, for `stream.pipeline`. Finishing it does not commit:
   * call `commit()` after the pipeline resolves.
   */
  writable(): Writable;
  /** Make the content durable and visible at the path; ends the writer. */
  commit(): Promise<void>;
  /** Discard the content (and anything earlier writers stored at the path); ends the writer. */
  cancel(): Promise<void>;
  /** Release resources but keep what was written, so a later `append` writer can resume. */
  close(): Promise<void>;
}

/**
 * A byte-level store. Every path is a logical path (see `validatePath`); invalid ones throw
 * `InvalidPathError`, missing ones `PathNotFoundError`.
 */
export interface StorageDriver {
  /** Driver name as used in configuration (`filesystem`, `s3`). */
  readonly name: string;
  /**
   * Whether `reader` sees bytes a writer has written but not committed (filesystem: yes; S3: no,
   * they sit in an open multipart upload). Upload sessions save their hash state when it is not.
   */
  readonly readsUnfinishedWrites?: boolean;
  /** Whole content of a (small) file. */
  getContent(path: string): Promise<Buffer>;
  /** Atomically replace the file at `path` with `content`, creating parents as needed. */
  putContent(path: string, content: Uint8Array | string): Promise<void>;
  /**
   * A stream of the file from `offset` (a number) or over a {@link ReadRange}. An offset equal to
   * the size gives an empty stream; larger throws `InvalidOffsetError`. A range reaching past
   * the end is cut at the end.
   */
  reader(path: string, from?: number | ReadRange): Promise<Readable>;
  /** A writer of the file at `path` (see {@link FileWriter}). */
  writer(path: string, options?: WriterOptions): Promise<FileWriter>;
  /** Information about a file or directory; `/` is always a directory. */
  stat(path: string): Promise<FileInfo>;
  /** Logical paths of the direct children of a directory, sorted. */
  list(path: string): Promise<string[]>;
  /**
   * Visit every file and directory under `path` (not `path` itself), each directory before its
   * contents; order otherwise unspecified (the filesystem driver walks several directories at
   * once, so the visits of different directories interleave, and `fn` may be called again before
   * an earlier call's promise settled). After `"stop"`, `fn` is not called again.
   */
  walk(path: string, fn: WalkFn): Promise<void>;
  /**
   * Move a file to `destPath`, replacing what is there. Readers of `destPath` see the old file or
   * the whole new one, never part of it.
   */
  move(sourcePath: string, destPath: string): Promise<void>;
  /** Delete a file, or a directory with everything under it (unfinished writers there included). */
  delete(path: string): Promise<void>;
  /**
   * Delete many files at once (garbage collection's sweep): each path names a file, not a
   * directory; missing ones are not an error; unfinished writers are not looked for. A directory
   * a deleted file leaves empty is removed too (filesystem; S3 has no directories). Cheaper than
   * {@link delete} per file: S3 deletes up to 1,000 keys per request, the filesystem unlinks
   * several files at a time.
   */
  deleteFiles(paths: readonly string[]): Promise<void>;
  /**
   * Files under `path` that exist only as unfinished writers, invisible to `list`, `stat` and
   * `walk` (S3: a writer's saved state and its open multipart upload), each with the time it was
   * last written; empty when there are none. Drivers whose unfinished writes are ordinary files
   * (the filesystem) leave it out.
   */
  unfinishedWrites?(path: string): Promise<FileInfo[]>;
  /**
   * A URL from which a client can fetch the file directly, or `undefined` when the driver (or its
   * configuration) does not redirect. Does not check that the file exists.
   */
  redirectURL?(path: string, options: RedirectOptions): Promise<string | undefined>;
  /**
   * Where the front proxy itself can read the file, for an internal redirect (nginx's
   * `X-Accel-Redirect`: the service authorizes and sets the headers, nginx sends the bytes), or
   * `undefined` when the driver (or its configuration) has no such location. Like
   * {@link redirectURL}, the driver alone knows how its paths map onto what serves them; the
   * caller never builds such paths from the storage layout. Does not check that the file exists.
   */
  internalRedirect?(path: string): string | undefined;
  /** Release sockets and other resources held by the driver. */
  close?(): Promise<void>;
}
