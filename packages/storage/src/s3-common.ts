/** Helpers shared by the S3 driver and its writer. */
import type { S3Client } from "@aws-sdk/client-s3";

/** Minimum size of every multipart-upload part but the last (S3's rule). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** Largest number of parts in one multipart upload (S3's rule). */
export const MAX_PARTS = 10_000;
/** Largest object a single CopyObject can copy (S3's rule); larger ones use UploadPartCopy. */
export const MAX_COPY_OBJECT_SIZE = 5 * 1024 * 1024 * 1024;

/** Where the driver keeps things in its bucket: the client and the key mapping. */
export interface S3Location {
  readonly client: S3Client;
  readonly bucket: string;
  /** Size of the parts writers upload (and so of the buffer each writer holds at most). */
  readonly chunkSize: number;
  /** Object key of a logical path. */
  objectKey(path: string): string;
  /** Key of the state object of an unfinished writer of a logical path. */
  writerStateKey(path: string): string;
}

function status(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const meta = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return meta?.httpStatusCode;
}

/** Whether an S3 SDK error means the object (or key) does not exist. */
export function isNotFound(err: unknown): boolean {
  const name = err instanceof Error ? err.name : "";
  return status(err) === 404 || name === "NoSuchKey" || name === "NotFound";
}

/** Whether an S3 SDK error is a 416 "range not satisfiable". */
export function isInvalidRange(err: unknown): boolean {
  return status(err) === 416 || (err instanceof Error && err.name === "InvalidRange");
}
