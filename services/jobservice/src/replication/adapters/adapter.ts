/**
 * The two sides of a copy, whatever is behind them: this Berth (registry-store) or a remote
 * registry (the Distribution API, plus Harbor's API for listing). The engine only speaks these.
 */
import type { Readable } from "node:stream";
import type { Manifest, ManifestInfo, ReferrerDescriptor, RequestBody } from "@berth/distribution-client";

/** An artifact to copy: its tags (and its digest when the listing knew it). */
export interface ArtifactRef {
  tags: string[];
  digest?: string | undefined;
  /** Its labels' names, when asked for and the source has labels (Berth, Harbor). */
  labels?: string[] | undefined;
}

/** What a listing of artifacts should include. */
export interface ListArtifactsOptions {
  /** The artifacts' labels (a policy's label filter needs them): sources without labels throw {@link LabelsUnsupportedError}. */
  labels?: boolean;
}

/** A label filter on a source that has no labels (a plain distribution registry, Docker Hub). */
export class LabelsUnsupportedError extends Error {
  override name = "LabelsUnsupportedError";
  constructor(source: string) {
    super(`${source} has no labels: a label filter cannot select from it`);
  }
}

/** What a name filter spells out, for registries that cannot list (Docker Hub). */
export interface ListHint {
  literalNames?: string[] | undefined;
}

export interface Source {
  readonly label: string;
  listRepositories(hint: ListHint, signal: AbortSignal): Promise<string[]>;
  /** Other names the source's users call a repository by (Docker Hub: `busybox` for `library/busybox`); filters may match any. */
  aliases?(repository: string): string[];
  listArtifacts(repository: string, signal: AbortSignal, options?: ListArtifactsOptions): Promise<ArtifactRef[]>;
  getManifest(repository: string, reference: string, signal: AbortSignal): Promise<Manifest | undefined>;
  /** The blob's bytes from `offset` (`length` of them, or to the end). */
  openBlob(repository: string, digest: string, range: { offset: number; length?: number | undefined }, signal: AbortSignal): Promise<Readable>;
  referrers(repository: string, digest: string, signal: AbortSignal): Promise<ReferrerDescriptor[]>;
}

/** An upload session on a destination (a URL on a remote, a session id here). */
export interface UploadHandle {
  repository: string;
  location: string;
  offset: number;
}

export interface Destination {
  /** The `replication_uploads.destination` key: `registry:<id>` or `local`. */
  readonly key: string;
  readonly label: string;
  /** Creates what pushing to `repositories` needs (projects on Berth and Harbor). */
  prepare(repositories: readonly string[], signal: AbortSignal): Promise<void>;
  headManifest(repository: string, reference: string, signal: AbortSignal): Promise<ManifestInfo | undefined>;
  getManifest(repository: string, reference: string, signal: AbortSignal): Promise<Manifest | undefined>;
  putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string, signal: AbortSignal): Promise<{ digest: string; referrersApi: boolean }>;
  blobExists(repository: string, digest: string, signal: AbortSignal): Promise<boolean>;
  /** Links a blob the destination has in `from` into `repository`; false when it could not. */
  mountBlob(repository: string, digest: string, from: string, signal: AbortSignal): Promise<boolean>;
  pushBlob(repository: string, digest: string, size: number, body: RequestBody, signal: AbortSignal): Promise<void>;
  startUpload(repository: string, signal: AbortSignal): Promise<UploadHandle>;
  /** Where a saved session stands, or undefined when the destination no longer knows it. */
  uploadStatus(handle: UploadHandle, signal: AbortSignal): Promise<UploadHandle | undefined>;
  uploadChunk(handle: UploadHandle, length: number, body: RequestBody, signal: AbortSignal): Promise<UploadHandle>;
  completeUpload(handle: UploadHandle, digest: string, signal: AbortSignal): Promise<void>;
  deleteManifest(repository: string, digest: string, signal: AbortSignal): Promise<boolean>;
  /** Deletes one tag; returns what happened, in words for the task log. */
  deleteTag(repository: string, tag: string, digest: string, signal: AbortSignal): Promise<string>;
}

/** Materialises a request body as a stream (the local side takes streams). */
export async function bodyStream(body: RequestBody): Promise<AsyncIterable<Uint8Array>> {
  if (Buffer.isBuffer(body)) return [body] as unknown as AsyncIterable<Uint8Array>;
  return body();
}
