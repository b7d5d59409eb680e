/**
 * The S3 driver (any S3-compatible server via `@aws-sdk/client-s3`). Logical path `/a/b` is the
 * object `<rootDirectory>/a/b`; directories are key prefixes. Writers use multipart uploads (see
 * `s3-writer.ts`), reads are ranged GETs, moves are server-side copies, and blob GETs can be
 * redirected to presigned URLs.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { Readable } from "node:stream";
import type { FileInfo, FileWriter, ReadRange, RedirectOptions, StorageDriver, WalkFn, WriterOptions } from "./driver.js";
import { InvalidOffsetError, PathNotFoundError, StorageError, UnsupportedMethodError } from "./errors.js";
import { isValidSegment, joinPath, parentPath, validatePath } from "./paths.js";
import { isInvalidRange, isNotFound, MAX_COPY_OBJECT_SIZE, MIN_PART_SIZE, type S3Location } from "./s3-common.js";
import { discardWriterState, openS3Writer, readWriterState } from "./s3-writer.js";

/** Configuration of {@link S3Driver}. */
export interface S3DriverOptions {
  bucket: string;
  region: string;
  /** Endpoint of an S3-compatible server (`http://127.0.0.1:9000`); AWS when omitted. */
  endpoint?: string;
  /** Address buckets as `endpoint/bucket` rather than `bucket.endpoint`. */
  forcePathStyle?: boolean;
  /** Static credentials; the SDK's default chain (env, profile, instance role) when omitted. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Key prefix under which everything is stored (no leading or trailing slash needed). */
  rootDirectory?: string;
  /** Multipart part size in bytes; default 10 MiB, at least 5 MiB. Bounds each writer's memory. */
  chunkSize?: number;
  /** Hand out presigned URLs from `redirectURL`. */
  redirect?: boolean;
  /** Part size of server-side copies of objects over 5 GiB (default 512 MiB). */
  copyPartSize?: number;
}

const NAME = "s3";
const DEFAULT_CHUNK_SIZE = 10 * 1024 * 1024;
const DEFAULT_REDIRECT_SECONDS = 20 * 60;
const WRITER_STATE_DIR = "~writers";
const COPY_CONCURRENCY = 4;

/** Stores files as objects of one S3 bucket. */
export class S3Driver implements StorageDriver {
  readonly name = NAME;
  readonly readsUnfinishedWrites = false;
  readonly client: S3Client;
  readonly bucket: string;
  readonly chunkSize: number;
  readonly #prefix: string;
  readonly #redirect: boolean;
  readonly #copyPartSize: number;
  readonly #location: S3Location;

  constructor(options: S3DriverOptions) {
    this.bucket = options.bucket;
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isSafeInteger(this.chunkSize) || this.chunkSize < MIN_PART_SIZE) {
      throw new RangeError(`S3 chunkSize must be an integer of at least ${MIN_PART_SIZE} bytes`);
    }
    const root = (options.rootDirectory ?? "").replace(/^\/+|\/+$/g, "");
    if (root !== "") validatePath(`/${root}`, { driverName: NAME });
    this.#prefix = root === "" ? "" : `${root}/`;
    this.#redirect = options.redirect ?? false;
    this.#copyPartSize = Math.max(MIN_PART_SIZE, options.copyPartSize ?? 512 * 1024 * 1024);
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? false,
      credentials:
        options.accessKeyId !== undefined
          ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey ?? "" }
          : undefined,
      // Checksums only where S3 requires them: many S3-compatible servers reject the newer headers.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    const prefix = this.#prefix;
    this.#location = {
      client: this.client,
      bucket: this.bucket,
      chunkSize: this.chunkSize,
      objectKey: (path) => `${prefix}${path.slice(1)}`,
      writerStateKey: (path) => `${prefix}${WRITER_STATE_DIR}${path}`,
    };
  }

  #key(path: string): string {
    validatePath(path, { driverName: NAME });
    return this.#location.objectKey(path);
  }

  /** Key prefix of everything under a directory path (`/` included). */
  #dirPrefix(path: string): string {
    validatePath(path, { allowRoot: true, driverName: NAME });
    return path === "/" ? this.#prefix : `${this.#location.objectKey(path)}/`;
  }

  /** Every page of a listing. */
  async *#listPages(prefix: string, delimiter?: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async getContent(path: string): Promise<Buffer> {
    const key = this.#key(path);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (err) {
      throw isNotFound(err) ? new PathNotFoundError(path, NAME, { cause: err }) : err;
    }
  }

  async putContent(path: string, content: Uint8Array | string): Promise<void> {
    const key = this.#key(path);
    const body = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.byteLength }));
  }

  async reader(path: string, from: number | ReadRange = 0): Promise<Readable> {
    const key = this.#key(path);
    const { offset, length } = typeof from === "number" ? { offset: from, length: undefined } : from;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidOffsetError(path, offset, NAME);
    if (length !== undefined && length <= 0) {
      const info = await this.stat(path);
      if (info.isDir) throw new PathNotFoundError(path, NAME);
      if (offset > info.size) throw new InvalidOffsetError(path, offset, NAME);
      return Readable.from([]);
    }
    const range =
      offset === 0 && length === undefined ? undefined : `bytes=${offset}-${length === undefined ? "" : offset + length - 1}`;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }));
      return res.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new PathNotFoundError(path, NAME, { cause: err });
      if (!isInvalidRange(err)) throw err;
    }
    // The range starts at or past the end: empty when exactly at the end, an error beyond it.
    const info = await this.stat(path);
    if (offset === info.size && !info.isDir) return Readable.from([]);
    throw new InvalidOffsetError(path, offset, NAME);
  }

  async writer(path: string, options: WriterOptions = {}): Promise<FileWriter> {
    this.#key(path);
    return openS3Writer(this.#location, path, options.append ?? false);
  }

  async stat(path: string): Promise<FileInfo> {
    if (path === "/") return { path, size: 0, modTime: new Date(0), isDir: true };
    const key = this.#key(path);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { path, size: head.ContentLength ?? 0, modTime: head.LastModified ?? new Date(0), isDir: false };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const page = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${key}/`, MaxKeys: 1 }),
    );
    const first = page.Contents?.[0];
    if (!first) throw new PathNotFoundError(path, NAME);
    return { path, size: 0, modTime: first.LastModified ?? new Date(0), isDir: true };
  }

  async list(path: string): Promise<string[]> {
    const prefix = this.#dirPrefix(path);
    const children = new Set<string>();
    for await (const page of this.#listPages(prefix, "/")) {
      for (const object of page.Contents ?? []) {
        const name = object.Key!.slice(prefix.length);
        if (isValidSegment(name)) children.add(joinPath(path, name));
      }
      for (const common of page.CommonPrefixes ?? []) {
        const name = common.Prefix!.slice(prefix.length, -1);
        if (isValidSegment(name)) children.add(joinPath(path, name));
      }
    }
    if (children.size === 0 && path !== "/") throw new PathNotFoundError(path, NAME);
    return [...children].sort();
  }

  /**
   * One flat listing of the prefix; directories are derived from the keys. Keys sharing a prefix
   * are contiguous in S3's order, so each directory is reported once, before its contents.
   */
  async walk(path: string, fn: WalkFn): Promise<void> {
    const prefix = this.#dirPrefix(path);
    const open: string[] = []; // directories (relative segments) of the previous key
    let skip: string | undefined; // logical prefix whose remaining entries are skipped
    let found = false;
    for await (const page of this.#listPages(prefix)) {
      for (const object of page.Contents ?? []) {
        const rel = object.Key!.slice(prefix.length);
        const segments = rel.split("/");
        if (!segments.every(isValidSegment)) continue;
        found = true;
        const filePath = joinPath(path, rel);
        if (skip !== undefined && filePath.startsWith(`${skip}/`)) continue;
        const modTime = object.LastModified ?? new Date(0);
        let skipped = false;
        for (let depth = 0; depth < segments.length - 1; depth++) {
          if (open[depth] === segments[depth]) continue;
          open.length = depth;
          open.push(segments[depth]!);
          const dirPath = joinPath(path, segments.slice(0, depth + 1).join("/"));
          const control = await fn({ path: dirPath, size: 0, modTime, isDir: true });
          if (control === "stop") return;
          if (control === "skipDir") {
            skip = dirPath;
            skipped = true;
            break;
          }
        }
        if (skipped) continue;
        open.length = segments.length - 1;
        const control = await fn({ path: filePath, size: object.Size ?? 0, modTime, isDir: false });
        if (control === "stop") return;
        if (control === "skipDir") {
          const parent = parentPath(filePath);
          if (parent === path) return;
          skip = parent;
        }
      }
    }
    if (!found && path !== "/") throw new PathNotFoundError(path, NAME);
  }

  async move(sourcePath: string, destPath: string): Promise<void> {
    const source = this.#key(sourcePath);
    const dest = this.#key(destPath);
    let size: number;
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: source }));
      size = head.ContentLength ?? 0;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const info = await this.stat(sourcePath);
      throw info.isDir ? new UnsupportedMethodError("move of a directory", sourcePath, NAME) : err;
    }
    if (source === dest) return;
    // Keys are restricted to [A-Za-z0-9._/-], so the copy source needs no URL-encoding.
    const copySource = `${this.bucket}/${source}`;
    if (size <= MAX_COPY_OBJECT_SIZE) {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: dest, CopySource: copySource }));
    } else {
      await this.#multipartCopy(copySource, dest, size);
    }
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: source }));
  }

  /** Server-side copy of an object over 5 GiB with UploadPartCopy (not exercised by s3rver tests). */
  async #multipartCopy(copySource: string, dest: string, size: number): Promise<void> {
    const partSize = Math.max(this.#copyPartSize, Math.ceil(size / 10_000));
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: dest }));
    const count = Math.ceil(size / partSize);
    const etags: string[] = new Array<string>(count);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < count; i = next++) {
        const start = i * partSize;
        const end = Math.min(size, start + partSize) - 1;
        const res = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: dest,
            UploadId,
            PartNumber: i + 1,
            CopySource: copySource,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        etags[i] = res.CopyPartResult!.ETag!;
      }
    };
    try {
      await Promise.all(Array.from({ length: COPY_CONCURRENCY }, worker));
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: dest,
          UploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
    } catch (err) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: dest, UploadId }))
        .catch(() => undefined);
      throw err;
    }
  }

  /** Deletes the object at the path, everything under it, and unfinished writers there. */
  async delete(path: string): Promise<void> {
    const key = this.#key(path);
    let found = false;
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      found = true;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    for await (const page of this.#listPages(`${key}/`)) {
      const keys = (page.Contents ?? []).map((o) => o.Key!);
      if (keys.length > 0) found = true;
      await this.#deleteKeys(keys, path);
    }
    found = (await this.#discardWriters(path)) || found;
    if (!found) throw new PathNotFoundError(path, NAME);
  }

  async deleteFiles(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return;
    await this.#deleteKeys(paths.map((p) => this.#key(p)), paths[0]!);
  }

  async unfinishedWrites(path: string): Promise<FileInfo[]> {
    validatePath(path, { allowRoot: true, driverName: NAME });
    const statePrefix = this.#location.writerStateKey("/");
    const under = this.#location.writerStateKey(path === "/" ? "/" : `${path}/`);
    const out: FileInfo[] = [];
    for await (const page of this.#listPages(under)) {
      for (const object of page.Contents ?? []) {
        out.push({ path: `/${object.Key!.slice(statePrefix.length)}`, size: object.Size ?? 0, modTime: object.LastModified ?? new Date(0), isDir: false });
      }
    }
    return out;
  }

  /** Discard unfinished writers at or under a path; whether there were any. */
  async #discardWriters(path: string): Promise<boolean> {
    const stateKey = this.#location.writerStateKey(path);
    const paths: string[] = [];
    const statePrefix = this.#location.writerStateKey("/");
    for await (const page of this.#listPages(stateKey)) {
      for (const object of page.Contents ?? []) {
        const key = object.Key!;
        if (key === stateKey || key.startsWith(`${stateKey}/`)) paths.push(`/${key.slice(statePrefix.length)}`);
      }
    }
    for (const writerPath of paths) {
      const saved = await readWriterState(this.#location, writerPath);
      await discardWriterState(this.#location, writerPath, saved?.state);
    }
    return paths.length > 0;
  }

  async #deleteKeys(keys: string[], path: string): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const res = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = res.Errors ?? [];
      if (failed.length > 0) {
        throw new StorageError(`could not delete ${failed.length} objects under ${path}: ${failed[0]?.Message}`, path, NAME);
      }
    }
  }

  async redirectURL(path: string, options: RedirectOptions): Promise<string | undefined> {
    const key = this.#key(path);
    if (!this.#redirect) return undefined;
    const expiresIn = options.expiresIn ?? DEFAULT_REDIRECT_SECONDS;
    const command =
      options.method === "HEAD"
        ? new HeadObjectCommand({ Bucket: this.bucket, Key: key })
        : new GetObjectCommand({ Bucket: this.bucket, Key: key });
    return getSignedUrl(this.client, command, { expiresIn });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
