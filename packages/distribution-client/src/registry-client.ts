/**
 * The Distribution API (v2 / OCI 1.1) as one registry-to-registry client uses it: ping, catalog,
 * tags and referrers (paginated through `Link`, referrers falling back to the tag schema),
 * manifests (HEAD, GET with digest verification, PUT, DELETE), blobs (HEAD, ranged streaming
 * GET), uploads (monolithic; chunked with the offset the registry acknowledged, so a caller can
 * keep `location` + `offset` and continue after a crash) and cross-repository mounts.
 */
import { Transform, type Readable, type TransformCallback } from "node:stream";
import { computeDigest, digestAlgorithm, isDigestReference, MAX_MANIFEST_BYTES, OCI_INDEX, referrersTagForDigest, type Digest } from "@berth/oci";
import { ContentMismatchError, RegistryHttpError } from "./errors.js";
import { nextLink, uploadOffset } from "./headers.js";
import { Transport, readAll, type RequestBody, type TransportOptions } from "./transport.js";

/** Every manifest type a copy may meet (sent as `Accept`). */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json",
  OCI_INDEX,
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.artifact.manifest.v1+json",
].join(", ");

/** A manifest's identity as the registry reports it. */
export interface ManifestInfo {
  digest: Digest;
  mediaType: string;
  size: number;
}

/** A manifest's exact bytes. */
export interface Manifest extends ManifestInfo {
  bytes: Buffer;
}

/** An upload session on the registry: where to send the next byte. */
export interface Upload {
  repository: string;
  /** The session's URL (absolute). */
  location: string;
  /** Bytes the registry acknowledged. */
  offset: number;
}

/** A descriptor in a referrers index. */
export interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export type RegistryClientOptions = TransportOptions & {
  /**
   * Ask for `pull,push` even for reads: a client that writes to a repository then needs one token
   * for it, not two (a token service may verify a password for each).
   */
  writer?: boolean | undefined;
};

const push = (repository: string) => `repository:${repository}:pull,push`;

export class RegistryClient {
  readonly transport: Transport;
  readonly #writer: boolean;

  constructor(options: RegistryClientOptions) {
    this.transport = new Transport(options);
    this.#writer = options.writer === true;
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  /**
   * `GET /v2/`: the registry answers, and when it asks for credentials, the given ones are
   * accepted (a token is issued / Basic is accepted). Throws otherwise.
   */
  async ping(signal?: AbortSignal): Promise<{ authenticated: boolean }> {
    // Without credentials a challenge is an answer; with them, the transport answers it once and a
    // second 401 is a refusal (RegistryAuthError).
    const anonymous = this.transport.credential === undefined;
    const res = await this.transport.send({ method: "GET", path: "/v2/", scopes: [], expect: anonymous ? [200, 401] : [200], ...(signal && { signal }) });
    return { authenticated: !anonymous && res.status === 200 && this.transport.challenge !== undefined };
  }

  /** Every repository of `_catalog` (needs `registry:catalog:*`). */
  async catalog(signal?: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    for await (const page of this.#pages<{ repositories?: string[] | null }>("/v2/_catalog?n=1000", ["registry:catalog:*"], signal)) out.push(...(page.repositories ?? []));
    return out;
  }

  /** Every tag of `repository` (`NAME_UNKNOWN` is a {@link RegistryHttpError} with status 404). */
  async tags(repository: string, signal?: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    for await (const page of this.#pages<{ tags?: string[] | null }>(`/v2/${repository}/tags/list?n=1000`, [this.#pull(repository)], signal)) out.push(...(page.tags ?? []));
    return out;
  }

  /** The manifest's identity without its bytes, or undefined when there is none. */
  async headManifest(repository: string, reference: string, signal?: AbortSignal): Promise<ManifestInfo | undefined> {
    const res = await this.transport.send({
      method: "HEAD",
      path: `/v2/${repository}/manifests/${reference}`,
      scopes: [this.#pull(repository)],
      headers: { accept: MANIFEST_ACCEPT },
      expect: [200, 404],
      signal,
    });
    if (res.status === 404) return undefined;
    const digest = header(res.headers, "docker-content-digest");
    if (digest === undefined) {
      // Some registries omit the digest on HEAD: ask for the bytes.
      const m = await this.getManifest(repository, reference, signal);
      return m && { digest: m.digest, mediaType: m.mediaType, size: m.size };
    }
    return { digest: digest as Digest, mediaType: mediaTypeOf(res.headers), size: Number(header(res.headers, "content-length") ?? 0) };
  }

  /** The manifest's bytes (digest verified when fetched by digest), or undefined when there is none. */
  async getManifest(repository: string, reference: string, signal?: AbortSignal): Promise<Manifest | undefined> {
    const res = await this.transport.stream({
      method: "GET",
      path: `/v2/${repository}/manifests/${reference}`,
      scopes: [this.#pull(repository)],
      headers: { accept: MANIFEST_ACCEPT },
      expect: [200, 404],
      signal,
    });
    if (res.status === 404) {
      res.body.resume();
      return undefined;
    }
    const bytes = await readAll(res.body, MAX_MANIFEST_BYTES, `manifest ${repository}:${reference}`);
    const algorithm = isDigestReference(reference) ? digestAlgorithm(reference as Digest) : "sha256";
    const digest = computeDigest(algorithm, bytes);
    if (isDigestReference(reference) && digest !== reference) throw new ContentMismatchError(`manifest ${repository}@${reference} arrived as ${digest}`);
    return { digest, mediaType: mediaTypeOf(res.headers), size: bytes.length, bytes };
  }

  /**
   * Stores `bytes` under `reference` (a tag or their digest); returns the digest and the
   * `OCI-Subject` the registry answered (it indexes referrers itself when it sends one).
   */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string, signal?: AbortSignal): Promise<{ digest: Digest; subject: string | undefined }> {
    const res = await this.transport.send({
      method: "PUT",
      path: `/v2/${repository}/manifests/${reference}`,
      scopes: [push(repository)],
      headers: { "content-type": mediaType, "content-length": String(bytes.length) },
      body: bytes,
      expect: [200, 201, 202, 204],
      signal,
    });
    return { digest: (header(res.headers, "docker-content-digest") as Digest | undefined) ?? computeDigest("sha256", bytes), subject: header(res.headers, "oci-subject") };
  }

  /** Deletes a manifest (by digest) or a tag; false when the registry had none. */
  async deleteManifest(repository: string, reference: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.transport.send({
      method: "DELETE",
      path: `/v2/${repository}/manifests/${reference}`,
      scopes: [`repository:${repository}:delete`],
      expect: [200, 202, 204, 404],
      signal,
    });
    return res.status !== 404;
  }

  /** The blob's size when the repository has it, else undefined. */
  async blobSize(repository: string, digest: string, signal?: AbortSignal): Promise<number | undefined> {
    const res = await this.transport.send({ method: "HEAD", path: `/v2/${repository}/blobs/${digest}`, scopes: [this.#pull(repository)], expect: [200, 404], follow: true, signal });
    return res.status === 404 ? undefined : Number(header(res.headers, "content-length") ?? 0);
  }

  /**
   * Streams a blob from `offset` (a `Range` request; a registry that ignores ranges has the
   * first `offset` bytes dropped here). Consume or destroy the body.
   */
  async getBlob(repository: string, digest: string, options: { offset?: number; length?: number | undefined; signal?: AbortSignal } = {}): Promise<{ body: Readable; length: number | undefined }> {
    const offset = options.offset ?? 0;
    const range = options.length !== undefined ? `bytes=${offset}-${offset + options.length - 1}` : offset > 0 ? `bytes=${offset}-` : undefined;
    const res = await this.transport.stream({
      method: "GET",
      path: `/v2/${repository}/blobs/${digest}`,
      scopes: [this.#pull(repository)],
      headers: range ? { range } : {},
      expect: [200, 206],
      follow: true,
      signal: options.signal,
    });
    const length = header(res.headers, "content-length");
    // A registry that ignores Range sends everything: drop what was not asked for.
    if (range && res.status === 200) return { body: res.body.pipe(slice(offset, options.length)), length: options.length ?? (length === undefined ? undefined : Number(length) - offset) };
    return { body: res.body, length: length === undefined ? undefined : Number(length) };
  }

  /**
   * Mounts `digest` from `from` into `repository` (same registry). Returns `undefined` when it
   * was mounted, else the upload session the registry opened instead (use it or cancel it).
   */
  async mountBlob(repository: string, digest: string, from: string, signal?: AbortSignal): Promise<Upload | undefined> {
    const res = await this.transport.send({
      method: "POST",
      path: `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`,
      scopes: [push(repository), `repository:${from}:pull`],
      headers: { "content-length": "0" },
      expect: [201, 202],
      signal,
    });
    return res.status === 201 ? undefined : this.#upload(repository, res, 0);
  }

  /** Opens an upload session. */
  async startUpload(repository: string, signal?: AbortSignal): Promise<Upload> {
    const res = await this.transport.send({ method: "POST", path: `/v2/${repository}/blobs/uploads/`, scopes: [push(repository)], headers: { "content-length": "0" }, expect: [202], signal });
    return this.#upload(repository, res, 0);
  }

  /** Where the session stands on the registry, or undefined when it no longer knows it. */
  async uploadStatus(upload: Upload, signal?: AbortSignal): Promise<Upload | undefined> {
    const res = await this.transport.send({ method: "GET", path: upload.location, scopes: [push(upload.repository)], expect: [204, 200, 404], signal });
    if (res.status === 404) return undefined;
    return this.#upload(upload.repository, res, uploadOffset(res.headers["range"]) ?? 0, upload.location);
  }

  /** Sends `length` bytes at the session's offset (`Content-Range`); returns the acknowledged session. */
  async uploadChunk(upload: Upload, length: number, body: RequestBody, signal?: AbortSignal): Promise<Upload> {
    const res = await this.transport.send({
      method: "PATCH",
      path: upload.location,
      scopes: [push(upload.repository)],
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(length),
        "content-range": `${upload.offset}-${upload.offset + length - 1}`,
      },
      body,
      expect: [202, 204],
      signal,
    });
    return this.#upload(upload.repository, res, uploadOffset(res.headers["range"]) ?? upload.offset + length, upload.location);
  }

  /** Closes the session as `digest` (no bytes, or the last `length` bytes of `body`). */
  async completeUpload(upload: Upload, digest: string, last?: { length: number; body: RequestBody }, signal?: AbortSignal): Promise<void> {
    const url = new URL(upload.location);
    url.searchParams.set("digest", digest);
    await this.transport.send({
      method: "PUT",
      path: url.toString(),
      scopes: [push(upload.repository)],
      headers: { "content-type": "application/octet-stream", "content-length": String(last?.length ?? 0) },
      ...(last && { body: last.body }),
      expect: [201, 204],
      signal,
    });
  }

  /** Deletes an upload session (best effort). */
  async cancelUpload(upload: Upload, signal?: AbortSignal): Promise<void> {
    await this.transport.send({ method: "DELETE", path: upload.location, scopes: [push(upload.repository)], expect: [200, 202, 204, 404], signal }).catch(() => undefined);
  }

  /** Uploads a whole blob in one request after opening a session (POST, then PUT with the bytes). */
  async pushBlob(repository: string, digest: string, size: number, body: RequestBody, signal?: AbortSignal): Promise<void> {
    const upload = await this.startUpload(repository, signal);
    await this.completeUpload(upload, digest, { length: size, body }, signal);
  }

  /**
   * The referrers of `digest` (OCI 1.1 referrers API, paginated); a registry without the API
   * (404) is asked through the tag schema fallback (`sha256-<hex>`).
   */
  async referrers(repository: string, digest: string, signal?: AbortSignal): Promise<{ descriptors: ReferrerDescriptor[]; via: "api" | "tag-schema" }> {
    const descriptors: ReferrerDescriptor[] = [];
    try {
      for await (const page of this.#pages<{ manifests?: ReferrerDescriptor[] }>(`/v2/${repository}/referrers/${digest}`, [this.#pull(repository)], signal, { accept: OCI_INDEX })) {
        descriptors.push(...(page.manifests ?? []));
      }
      return { descriptors, via: "api" };
    } catch (err) {
      if (!(err instanceof RegistryHttpError) || (err.status !== 404 && err.status !== 405 && err.status !== 400)) throw err;
    }
    const index = await this.getManifest(repository, referrersTagForDigest(digest), signal);
    if (!index) return { descriptors: [], via: "tag-schema" };
    const parsed = JSON.parse(index.bytes.toString("utf8")) as { manifests?: ReferrerDescriptor[] };
    return { descriptors: parsed.manifests ?? [], via: "tag-schema" };
  }

  /** GET of a JSON document with Basic credentials (a registry's own REST API, e.g. Harbor's `/api/v2.0`). */
  async getJson<T>(path: string, signal?: AbortSignal): Promise<{ body: T; total: number | undefined; next: string | undefined }> {
    const res = await this.transport.send({ method: "GET", path, scopes: [], basic: true, headers: { accept: "application/json" }, expect: [200], signal });
    const total = header(res.headers, "x-total-count");
    return { body: JSON.parse(res.body.toString("utf8")) as T, total: total === undefined ? undefined : Number(total), next: nextLink(res.headers["link"]) };
  }

  /** A JSON request with Basic credentials (e.g. creating a project through Harbor's API); returns the status. */
  async sendJson(method: "POST" | "PUT" | "DELETE", path: string, body: unknown, expect: readonly number[], signal?: AbortSignal): Promise<number> {
    const bytes = Buffer.from(JSON.stringify(body));
    const res = await this.transport.send({ method, path, scopes: [], basic: true, headers: { "content-type": "application/json", "content-length": String(bytes.length) }, body: bytes, expect, signal });
    return res.status;
  }

  #pull(repository: string): string {
    return this.#writer ? push(repository) : `repository:${repository}:pull`;
  }

  async *#pages<T>(first: string, scopes: string[], signal: AbortSignal | undefined, headers: Record<string, string> = {}): AsyncGenerator<T> {
    let path: string | undefined = first;
    let pages = 0;
    while (path !== undefined) {
      const res = await this.transport.send({ method: "GET", path, scopes, headers: { accept: "application/json", ...headers }, expect: [200], signal });
      yield JSON.parse(res.body.toString("utf8")) as T;
      path = nextLink(res.headers["link"]);
      if (++pages > 100_000) throw new RegistryHttpError("GET", first, 200, undefined, "pagination does not end");
    }
  }

  #upload(repository: string, res: { headers: Record<string, string | string[] | undefined> }, offset: number, previous?: string): Upload {
    const location = header(res.headers, "location");
    const resolved = location ? this.transport.resolve(location).toString() : previous;
    if (!resolved) throw new RegistryHttpError("POST", `/v2/${repository}/blobs/uploads/`, 202, undefined, "no Location for the upload");
    return { repository, location: location && /^https?:/.test(location) ? location : resolved, offset };
  }
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function mediaTypeOf(headers: Record<string, string | string[] | undefined>): string {
  return (header(headers, "content-type") ?? "").split(";")[0]!.trim();
}

/** Passes `length` bytes (or all) after the first `offset` of a stream. */
function slice(offset: number, length: number | undefined): Transform {
  let skip = offset;
  let left = length ?? Infinity;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      let part = chunk;
      if (skip > 0) {
        const n = Math.min(skip, part.length);
        skip -= n;
        part = part.subarray(n);
      }
      if (left < part.length) part = part.subarray(0, left);
      left -= part.length;
      cb(null, part.length ? part : undefined);
    },
  });
}
