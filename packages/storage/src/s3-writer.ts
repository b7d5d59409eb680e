/**
 * The S3 driver's writer. Bytes are buffered up to one part (`chunkSize`) and uploaded as parts
 * of a multipart upload; content smaller than one part is stored with a single PutObject.
 *
 * `close()` without commit must leave the upload resumable by another process. Parts stay in the
 * open multipart upload; what is left (the tail, shorter than a part, which S3 would reject as
 * a middle part) and the upload's id and part list go into one state object, written with a
 * single PUT, at `<root>/~writers/<path>`. An `append` writer loads it and carries on; commit
 * completes the upload and deletes the state object. This needs no ListMultipartUploads,
 * ListParts or UploadPartCopy, so it works on S3-compatible servers that lack them.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
} from "@aws-sdk/client-s3";
import { StorageError } from "./errors.js";
import { BaseFileWriter } from "./file-writer.js";
import { isNotFound, MAX_PARTS, type S3Location } from "./s3-common.js";

/** What the state object of an unfinished writer records besides the tail bytes. */
export interface S3WriterState {
  version: 1;
  uploadId: string | null;
  parts: { PartNumber: number; ETag: string }[];
  /** Bytes in the uploaded parts. */
  partsSize: number;
}

const INITIAL_BUFFER = 256 * 1024;

/** Read an unfinished writer's state object: its header and tail, or `undefined` when absent. */
export async function readWriterState(
  location: S3Location,
  path: string,
): Promise<{ state: S3WriterState; tail: Uint8Array } | undefined> {
  try {
    const res = await location.client.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: location.writerStateKey(path) }),
    );
    const bytes = await res.Body!.transformToByteArray();
    const newline = bytes.indexOf(0x0a);
    if (newline < 0) throw new StorageError("corrupt S3 writer state object", path, "s3");
    const state = JSON.parse(Buffer.from(bytes.subarray(0, newline)).toString("utf8")) as S3WriterState;
    if (state.version !== 1) throw new StorageError(`unknown S3 writer state version ${state.version}`, path, "s3");
    return { state, tail: bytes.subarray(newline + 1) };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Abort an unfinished writer's multipart upload (best effort) and delete its state object. */
export async function discardWriterState(location: S3Location, path: string, state?: S3WriterState): Promise<void> {
  if (state?.uploadId) {
    // Best effort: some S3-compatible servers lack AbortMultipartUpload; a bucket lifecycle rule
    // (AbortIncompleteMultipartUpload) reclaims whatever is left.
    await location.client
      .send(
        new AbortMultipartUploadCommand({
          Bucket: location.bucket,
          Key: location.objectKey(path),
          UploadId: state.uploadId,
        }),
      )
      .catch(() => undefined);
  }
  await location.client.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: location.writerStateKey(path) }));
}

/** Open a writer; with `append`, resume an unfinished writer or extend a stored object. */
export async function openS3Writer(location: S3Location, path: string, append: boolean): Promise<S3Writer> {
  const saved = await readWriterState(location, path);
  const writer = new S3Writer(location, path);
  if (append && saved) {
    writer.restore(saved.state, saved.tail);
    return writer;
  }
  if (saved) await discardWriterState(location, path, saved.state);
  if (append) await writer.prefixWithStoredObject();
  return writer;
}

/** See the module comment. */
export class S3Writer extends BaseFileWriter {
  #buffer = Buffer.alloc(0);
  #fill = 0;
  #uploadId: string | null = null;
  #parts: { PartNumber: number; ETag: string }[] = [];
  #partsSize = 0;
  #hasState = false;

  constructor(
    private readonly location: S3Location,
    path: string,
  ) {
    super(path);
  }

  /** Continue from a saved state and tail. */
  restore(state: S3WriterState, tail: Uint8Array): void {
    this.#uploadId = state.uploadId;
    this.#parts = [...state.parts];
    this.#partsSize = state.partsSize;
    this.#ensureCapacity(tail.byteLength);
    this.#buffer.set(tail, 0);
    this.#fill = tail.byteLength;
    this.bytes = state.partsSize + tail.byteLength;
    this.#hasState = true;
  }

  /**
   * Start with the bytes of the committed object at the path, if any, streamed through the part
   * buffer (bounded memory; costs a download of the object, which only happens when appending to
   * a committed file rather than resuming an unfinished writer).
   */
  async prefixWithStoredObject(): Promise<void> {
    const { client, bucket } = this.location;
    const key = this.location.objectKey(this.path);
    try {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    for await (const chunk of res.Body as AsyncIterable<Uint8Array>) await this.doWrite(chunk);
  }

  #ensureCapacity(needed: number): void {
    if (this.#buffer.length >= needed) return;
    const size = Math.min(this.location.chunkSize, Math.max(needed, this.#buffer.length * 2, INITIAL_BUFFER));
    const next = Buffer.allocUnsafe(size);
    this.#buffer.copy(next, 0, 0, this.#fill);
    this.#buffer = next;
  }

  protected async doWrite(chunk: Uint8Array): Promise<void> {
    const { chunkSize } = this.location;
    let offset = 0;
    while (offset < chunk.byteLength) {
      const take = Math.min(chunkSize - this.#fill, chunk.byteLength - offset);
      this.#ensureCapacity(this.#fill + take);
      this.#buffer.set(chunk.subarray(offset, offset + take), this.#fill);
      this.#fill += take;
      this.bytes += take;
      offset += take;
      if (this.#fill === chunkSize) await this.#uploadPart();
    }
  }

  /** Upload the buffer as the next part, starting the multipart upload if needed. */
  async #uploadPart(): Promise<void> {
    const { client, bucket } = this.location;
    const key = this.location.objectKey(this.path);
    if (this.#parts.length >= MAX_PARTS) {
      throw new StorageError(`file exceeds ${MAX_PARTS} parts of ${this.location.chunkSize} bytes; raise chunkSize`, this.path, "s3");
    }
    if (this.#uploadId === null) {
      const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      this.#uploadId = created.UploadId!;
    }
    const partNumber = this.#parts.length + 1;
    const res = await client.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: this.#uploadId,
        PartNumber: partNumber,
        Body: this.#buffer.subarray(0, this.#fill),
        ContentLength: this.#fill,
      }),
    );
    this.#parts.push({ PartNumber: partNumber, ETag: res.ETag! });
    this.#partsSize += this.#fill;
    this.#fill = 0;
  }

  protected async doCommit(): Promise<void> {
    const { client, bucket } = this.location;
    const key = this.location.objectKey(this.path);
    if (this.#uploadId === null) {
      const body = this.#buffer.subarray(0, this.#fill);
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length }));
    } else {
      if (this.#fill > 0) await this.#uploadPart();
      const parts: CompletedPart[] = this.#parts.map((p) => ({ PartNumber: p.PartNumber, ETag: p.ETag }));
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: this.#uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    }
    if (this.#hasState) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: this.location.writerStateKey(this.path) }));
    }
    this.#release();
  }

  protected async doCancel(): Promise<void> {
    const state = this.#state();
    if (this.#hasState || state.uploadId !== null) await discardWriterState(this.location, this.path, state);
    this.#release();
  }

  protected async doClose(): Promise<void> {
    const header = Buffer.from(`${JSON.stringify(this.#state())}\n`, "utf8");
    const body = Buffer.concat([header, this.#buffer.subarray(0, this.#fill)]);
    this.#release();
    await this.location.client.send(
      new PutObjectCommand({
        Bucket: this.location.bucket,
        Key: this.location.writerStateKey(this.path),
        Body: body,
        ContentLength: body.length,
      }),
    );
  }

  #state(): S3WriterState {
    return { version: 1, uploadId: this.#uploadId, parts: this.#parts, partsSize: this.#partsSize };
  }

  #release(): void {
    this.#buffer = Buffer.alloc(0);
    this.#fill = 0;
  }
}
