/**
 * The filesystem driver: logical path `/a/b` is the file `<rootDirectory>/a/b`. Whole-file
 * writes (`putContent`) go to a temporary file next to the target, are fsynced and renamed into
 * place; appendable writers write the target directly (the blob store keeps them in an upload
 * area and moves finished uploads into place with the atomic {@link FilesystemDriver.move}).
 */
import { randomBytes } from "node:crypto";
import { constants, mkdirSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, type FileHandle } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import type { FileInfo, FileWriter, ReadRange, StorageDriver, WalkFn, WriterOptions } from "./driver.js";
import { InvalidOffsetError, PathNotFoundError } from "./errors.js";
import { mapLimited } from "./concurrency.js";
import { BaseFileWriter } from "./file-writer.js";
import { isValidSegment, joinPath, validatePath } from "./paths.js";

/** Unlinks in flight in {@link FilesystemDriver.deleteFiles} (libuv runs 4 at a time; a few more keep it fed). */
const DELETE_FILES_CONCURRENCY = 16;
/** `stat`s, and subdirectories, in flight per directory of a walk. */
const WALK_CONCURRENCY = 8;

/** Configuration of {@link FilesystemDriver}. */
export interface FilesystemDriverOptions {
  /** Absolute directory holding the store; created when missing. */
  rootDirectory: string;
  /**
   * The front proxy's `internal` location aliased to `rootDirectory` (e.g. `/_berth_blobs/` with
   * nginx's `location /_berth_blobs/ { internal; alias <rootDirectory>/; }`): enables
   * {@link FilesystemDriver.internalRedirect}. Unset: no internal redirects.
   */
  internalRedirectLocation?: string | undefined;
}

const NAME = "filesystem";
/** Read and write in 1 MiB pieces: 16× fewer syscalls and promise round trips than Node's 64 KiB. */
const IO_CHUNK = 1024 * 1024;
/** A writer starts a background `fdatasync` after every this many bytes (see FilesystemWriter). */
const SYNC_EVERY = 8 * 1024 * 1024;

function isErrno(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? "");
}

/** fsync a directory so that entries created or renamed in it survive a crash. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Stores files under a local directory. */
export class FilesystemDriver implements StorageDriver {
  readonly name = NAME;
  readonly readsUnfinishedWrites = true;
  readonly rootDirectory: string;

  readonly #internalLocation: string | undefined;

  constructor(options: FilesystemDriverOptions) {
    this.rootDirectory = resolve(options.rootDirectory);
    this.#internalLocation = options.internalRedirectLocation;
    if (this.#internalLocation !== undefined && !/^\/(?:[A-Za-z0-9._-]+\/)+$/.test(this.#internalLocation)) {
      throw new RangeError(`internalRedirectLocation must be a location path like /_berth_blobs/, not ${JSON.stringify(this.#internalLocation)}`);
    }
    mkdirSync(this.rootDirectory, { recursive: true });
  }

  /** `<internalRedirectLocation><path without its leading slash>`, when a location is configured. */
  internalRedirect(path: string): string | undefined {
    if (this.#internalLocation === undefined) return undefined;
    validatePath(path, { driverName: NAME });
    return `${this.#internalLocation}${path.slice(1)}`;
  }

  /** Absolute filesystem path of a validated logical path. */
  #full(path: string, allowRoot = false): string {
    validatePath(path, { allowRoot, driverName: NAME });
    return path === "/" ? this.rootDirectory : join(this.rootDirectory, path);
  }

  /**
   * Create `dir` and missing parents; with `durable`, fsync the parents of every directory created
   * so the new entries survive a crash.
   */
  async #ensureDirectory(dir: string, durable: boolean): Promise<void> {
    const first = await mkdir(dir, { recursive: true });
    if (first === undefined || !durable) return;
    for (let d = dir; ; d = dirname(d)) {
      await syncDirectory(dirname(d));
      if (d === first || d === this.rootDirectory || dirname(d) === d) break;
    }
  }

  #notFound(path: string, err: unknown): unknown {
    return isErrno(err, "ENOENT", "ENOTDIR", "EISDIR") ? new PathNotFoundError(path, NAME, { cause: err }) : err;
  }

  async getContent(path: string): Promise<Buffer> {
    const full = this.#full(path);
    try {
      return await readFile(full);
    } catch (err) {
      throw this.#notFound(path, err);
    }
  }

  async putContent(path: string, content: Uint8Array | string): Promise<void> {
    const full = this.#full(path);
    const dir = dirname(full);
    await this.#ensureDirectory(dir, true);
    // "~" is outside the logical alphabet, so list and walk never show the temporary file.
    const temp = join(dir, `~tmp-${randomBytes(8).toString("hex")}`);
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(content);
      await handle.sync();
      await handle.close();
      await rename(temp, full);
    } catch (err) {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw isErrno(err, "EISDIR") ? new PathNotFoundError(path, NAME, { cause: err }) : err;
    }
    await syncDirectory(dir);
  }

  async reader(path: string, from: number | ReadRange = 0): Promise<Readable> {
    const full = this.#full(path);
    const { offset, length } = typeof from === "number" ? { offset: from, length: undefined } : from;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidOffsetError(path, offset, NAME);
    let handle: FileHandle;
    try {
      handle = await open(full, "r");
    } catch (err) {
      throw this.#notFound(path, err);
    }
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw new PathNotFoundError(path, NAME);
      if (offset > info.size) throw new InvalidOffsetError(path, offset, NAME);
      const end = length === undefined ? info.size : Math.min(info.size, offset + Math.max(0, length));
      if (end <= offset) {
        await handle.close();
        return Readable.from([]);
      }
      return handle.createReadStream({ start: offset, end: end - 1, autoClose: true, highWaterMark: Math.min(IO_CHUNK, end - offset) });
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  async writer(path: string, options: WriterOptions = {}): Promise<FileWriter> {
    const full = this.#full(path);
    const flags = options.append ? "a" : "w";
    let handle: FileHandle;
    // A new file usually needs its directory; an appended one usually has it (every chunk after
    // the first): then it is created only when the open finds it missing.
    if (!options.append) await this.#ensureDirectory(dirname(full), false);
    try {
      handle = await open(full, flags).catch(async (err: unknown) => {
        if (!isErrno(err, "ENOENT")) throw err;
        await this.#ensureDirectory(dirname(full), false);
        return open(full, flags);
      });
    } catch (err) {
      throw this.#notFound(path, err);
    }
    const size = options.append ? (await handle.stat()).size : 0;
    return new FilesystemWriter(path, full, handle, size);
  }

  async stat(path: string): Promise<FileInfo> {
    const full = this.#full(path, true);
    try {
      const info = await stat(full);
      return { path, size: info.isDirectory() ? 0 : info.size, modTime: info.mtime, isDir: info.isDirectory() };
    } catch (err) {
      throw this.#notFound(path, err);
    }
  }

  async list(path: string): Promise<string[]> {
    const full = this.#full(path, true);
    try {
      const names = await readdir(full);
      return names.filter(isValidSegment).sort().map((name) => joinPath(path, name));
    } catch (err) {
      throw this.#notFound(path, err);
    }
  }

  async walk(path: string, fn: WalkFn): Promise<void> {
    const full = this.#full(path, true);
    const info = await this.stat(path);
    if (!info.isDir) throw new PathNotFoundError(path, NAME);
    await this.#walkDirectory(path, full, fn, { stopped: false });
  }

  /**
   * Walks one directory: its entries `stat`ed `WALK_CONCURRENCY` at a time and reported in name
   * order, then its subdirectories walked `WALK_CONCURRENCY` at a time — so the reports of
   * different directories interleave, each directory still before its contents (a serial walk
   * spent GC's storage step waiting on one `stat` after another: 2 per blob). After `"stop"`
   * nothing more is reported.
   */
  async #walkDirectory(path: string, full: string, fn: WalkFn, walk: { stopped: boolean }): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(full)).filter(isValidSegment).sort();
    } catch (err) {
      if (isErrno(err, "ENOENT", "ENOTDIR")) return; // removed while walking
      throw err;
    }
    const infos = await mapLimited(names, WALK_CONCURRENCY, (name) =>
      stat(join(full, name)).catch((err: unknown) => (isErrno(err, "ENOENT") ? undefined : Promise.reject(err))),
    );
    const subdirectories: string[] = [];
    for (let i = 0; i < names.length; i++) {
      if (walk.stopped) return;
      const info = infos[i];
      if (info === undefined) continue;
      const isDir = info.isDirectory();
      const control = await fn({ path: joinPath(path, names[i]!), size: isDir ? 0 : info.size, modTime: info.mtime, isDir });
      if (control === "stop") {
        walk.stopped = true;
        return;
      }
      if (control === "skipDir") {
        if (isDir) continue;
        break; // a file: the rest of its directory
      }
      if (isDir) subdirectories.push(names[i]!);
    }
    await mapLimited(subdirectories, WALK_CONCURRENCY, (name) => this.#walkDirectory(joinPath(path, name), join(full, name), fn, walk));
  }

  async move(sourcePath: string, destPath: string): Promise<void> {
    const source = this.#full(sourcePath);
    const dest = this.#full(destPath);
    await this.#ensureDirectory(dirname(dest), true);
    try {
      await rename(source, dest);
    } catch (err) {
      if (isErrno(err, "ENOENT", "ENOTDIR")) throw this.#notFound(sourcePath, err);
      throw err;
    }
    // The new entry made durable. The source directory is not synced: after a crash the old
    // entry may come back, which only leaves a copy where the caller removes it anyway (an
    // upload's directory; GC's storage walk takes what a crash leaves there).
    await syncDirectory(dirname(dest));
  }

  async delete(path: string): Promise<void> {
    const full = this.#full(path);
    // Most deletes remove an empty directory (an upload's, once its data moved into place): one
    // `rmdir`; anything else falls back to the recursive removal (whose option checks alone cost
    // an lstat each).
    try {
      await rmdir(full);
      return;
    } catch (err) {
      if (isErrno(err, "ENOENT")) throw this.#notFound(path, err);
      if (!isErrno(err, "ENOTEMPTY", "EEXIST", "ENOTDIR")) throw err;
    }
    await rm(full, { recursive: true, force: true });
  }

  async deleteFiles(paths: readonly string[]): Promise<void> {
    const fulls = paths.map((p) => this.#full(p));
    await mapLimited(fulls, DELETE_FILES_CONCURRENCY, async (full) => {
      try {
        await unlink(full);
      } catch (err) {
        if (!isErrno(err, "ENOENT")) throw err;
      }
      // The file's directory, when that left it empty (a blob's `<hex>` directory).
      await rmdir(dirname(full)).catch((err: unknown) => {
        if (!isErrno(err, "ENOENT", "ENOTEMPTY", "EEXIST")) throw err;
      });
    });
  }
}

/**
 * Appends straight to the target file; fsync on commit, unlink on cancel. Small chunks (a
 * socket's 16–64 KiB) are copied and gathered until 1 MiB is pending, then written with one
 * `writev` while the next ones gather (at most one write in flight, so at most ~2 MiB held per
 * writer); a small blob costs its own bytes, not a 1 MiB buffer. `size` counts the bytes
 * taken, and `close`/`commit` flush first. After a failed write `size` is what reached the file.
 */
class FilesystemWriter extends BaseFileWriter {
  /** A background `fdatasync` started while the bytes stream in (at most one at a time). */
  #syncing: Promise<void> | undefined;
  /** Bytes that reached the file when the last background sync started. */
  #syncedUpTo: number;
  /** Chunks taken and not yet written (their bytes: `#pendingBytes`). */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #inFlight: Promise<void> | undefined;
  /** Bytes that reached the file. */
  #written: number;
  /** A write failed: nothing more is written (it would land after a gap). */
  #failed = false;

  constructor(
    path: string,
    private readonly full: string,
    private readonly handle: FileHandle,
    size: number,
  ) {
    super(path);
    this.bytes = size;
    this.#written = size;
    this.#syncedUpTo = size;
  }

  protected async doWrite(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength >= IO_CHUNK && this.#pendingBytes === 0) {
      // Already big: write it as it is (after the previous write), no copy.
      await this.#settle();
      await this.#writeAll([chunk], chunk.byteLength);
      this.bytes += chunk.byteLength;
      return;
    }
    // A copy of its own size: the caller may reuse `chunk` once this resolves.
    this.#pending.push(Buffer.from(chunk));
    this.#pendingBytes += chunk.byteLength;
    this.bytes += chunk.byteLength;
    if (this.#pendingBytes >= IO_CHUNK) await this.#flush();
  }

  /** Starts writing what is pending (after the previous write finished). */
  async #flush(): Promise<void> {
    await this.#settle();
    if (this.#failed) {
      this.#pending = [];
      this.#pendingBytes = 0;
      this.bytes = this.#written;
      return;
    }
    if (this.#pendingBytes === 0) return;
    const chunks = this.#pending;
    const length = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#inFlight = this.#writeAll(chunks, length);
    // Surfaces (and records) a failure at the next write, flush or end; never unhandled.
    this.#inFlight.catch(() => undefined);
  }

  async #settle(): Promise<void> {
    const pending = this.#inFlight;
    this.#inFlight = undefined;
    if (pending !== undefined) await pending;
  }

  async #writeAll(chunks: Uint8Array[], length: number): Promise<void> {
    // More bytes keep coming: let the disk start on the ones already written.
    this.#backgroundSync();
    let done = 0;
    try {
      while (done < length) {
        const { bytesWritten } = chunks.length === 1 ? await this.handle.write(chunks[0]!, 0, chunks[0]!.byteLength, null) : await this.handle.writev(chunks);
        done += bytesWritten;
        this.#written += bytesWritten;
        // A short write (rare for files): go on with what is left.
        if (done < length) chunks = remainder(chunks, bytesWritten);
      }
    } catch (err) {
      this.#failed = true;
      this.bytes = this.#written;
      throw err;
    }
  }

  /** Everything taken is in the file (or the write's error is thrown, `size` then what is). */
  async #drain(): Promise<void> {
    try {
      await this.#flush();
      await this.#settle();
    } catch (err) {
      this.bytes = this.#written;
      throw err;
    }
  }

  /**
   * Every {@link SYNC_EVERY} bytes, when a further write arrives (so a writer closed after a
   * chunk rarely has one in flight to wait for), starts an `fdatasync` without waiting for it:
   * the disk writes back while the rest streams in, so the durable `fsync` of `commit` has little
   * left to do. Errors are ignored here; `commit`'s own `fsync` is the one that counts.
   */
  #backgroundSync(): void {
    if (this.#syncing !== undefined || this.#written - this.#syncedUpTo < SYNC_EVERY) return;
    this.#syncedUpTo = this.#written;
    this.#syncing = this.handle.datasync().then(
      () => {
        this.#syncing = undefined;
      },
      () => {
        this.#syncing = undefined;
      },
    );
  }

  protected async doCommit(): Promise<void> {
    try {
      await this.#drain();
      await this.#syncing;
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
  }

  protected async doCancel(): Promise<void> {
    await this.#settle().catch(() => undefined);
    await this.#syncing;
    await this.handle.close().catch(() => undefined);
    await unlink(this.full).catch((err: unknown) => {
      if (!isErrno(err, "ENOENT")) throw err;
    });
  }

  protected async doClose(): Promise<void> {
    try {
      // A failed write leaves `size` at what reached the file; the bytes taken after it are lost.
      await this.#drain().catch(() => {
        this.bytes = this.#written;
      });
      await this.#syncing;
    } finally {
      await this.handle.close();
    }
  }
}

/** `chunks` without their first `skip` bytes. */
function remainder(chunks: Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    if (skip >= c.byteLength) {
      skip -= c.byteLength;
      continue;
    }
    out.push(skip > 0 ? c.subarray(skip) : c);
    skip = 0;
  }
  return out;
}
