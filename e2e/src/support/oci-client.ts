// A minimal streaming OCI Distribution client for the benchmark: node:http with keep-alive,
// bodies from Buffers or streams, nothing buffered that is large. It follows the spec's push
// flows (POST then PUT, POST + PATCH… + PUT) and resolves every Location against the front door.
import { createHash } from "node:crypto";
import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

export const MEDIA = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
} as const;

/** What a client sends when it pulls a manifest (docker, containerd and skopeo send these). */
export const MANIFEST_ACCEPT = [
  MEDIA.ociManifest,
  "application/vnd.oci.image.index.v1+json",
  MEDIA.dockerManifest,
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

export class HttpStatusError extends Error {
  override name = "HttpStatusError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    body: string,
  ) {
    super(`${method} ${path} answered ${status}${body ? `: ${body.slice(0, 300).trim()}` : ""}`);
  }
}

export interface RequestOptions {
  method: string;
  /** Path and query, or an absolute URL (only its path and query are used: we always go to the front door). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable | undefined;
  /** Statuses that count as success; anything else throws HttpStatusError. */
  expect: number[];
  timeoutMs?: number;
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface StreamedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  bytes: number;
  digest?: string;
}

/** One HTTP client per target: a keep-alive agent to the target's front door. */
export class HttpClient {
  readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(readonly baseUrl: string, maxSockets = 64) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
    this.agent = new Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 10_000 });
  }

  /** The path and query of `location` (relative or absolute, as registries answer). */
  resolve(location: string): string {
    const url = new URL(location, this.baseUrl);
    return url.pathname + url.search;
  }

  private open(options: RequestOptions): Promise<IncomingMessage> {
    const path = this.resolve(options.path);
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest({
        host: this.host,
        port: this.port,
        method: options.method,
        path,
        agent: this.agent,
        headers: options.headers,
      });
      req.setTimeout(options.timeoutMs ?? 120_000, () => req.destroy(new Error(`${options.method} ${path}: no progress for ${(options.timeoutMs ?? 120_000) / 1000} s`)));
      req.once("error", reject);
      req.once("response", resolve);
      const body = options.body;
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else pipeline(body, req).catch((err: unknown) => req.destroy(err as Error));
    });
  }

  /** A request whose answer is small (read whole). */
  async send(options: RequestOptions): Promise<Response> {
    const res = await this.open(options);
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const status = res.statusCode ?? 0;
    if (!options.expect.includes(status)) throw new HttpStatusError(options.method, options.path, status, body.toString("utf8"));
    return { status, headers: res.headers, body };
  }

  /** A request whose answer may be large: counted (and hashed when asked), never kept. */
  async stream(options: RequestOptions & { hash?: boolean }): Promise<StreamedResponse> {
    const res = await this.open(options);
    const status = res.statusCode ?? 0;
    if (!options.expect.includes(status)) {
      const chunks: Buffer[] = [];
      for await (const chunk of res) if (chunks.length < 4) chunks.push(chunk as Buffer);
      throw new HttpStatusError(options.method, options.path, status, Buffer.concat(chunks).toString("utf8"));
    }
    const hash = options.hash ? createHash("sha256") : undefined;
    let bytes = 0;
    for await (const chunk of res) {
      bytes += (chunk as Buffer).length;
      hash?.update(chunk as Buffer);
    }
    return { status, headers: res.headers, bytes, ...(hash ? { digest: `sha256:${hash.digest("hex")}` } : {}) };
  }

  close(): void {
    this.agent.destroy();
  }
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location, "http://x");
  url.searchParams.set("digest", digest);
  return url.pathname + url.search;
}

function locationOf(res: Response, what: string): string {
  const location = res.headers["location"];
  if (!location) throw new Error(`${what}: ${res.status} without a Location header`);
  return location;
}

/** A repository on one target, with the Authorization header fetched beforehand (never timed). */
export class Repo {
  constructor(
    readonly http: HttpClient,
    readonly name: string,
    readonly auth: Record<string, string>,
  ) {}

  private h(extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.auth, ...extra };
  }

  /** `POST /v2/<name>/blobs/uploads/` → the upload's location. */
  async startUpload(): Promise<string> {
    const res = await this.http.send({
      method: "POST",
      path: `/v2/${this.name}/blobs/uploads/`,
      headers: this.h({ "content-length": "0" }),
      expect: [202],
    });
    return locationOf(res, "POST upload");
  }

  /** Monolithic push: POST then PUT `?digest=` with the whole blob. */
  async pushBlobMonolithic(data: Buffer, digest: string): Promise<void> {
    const location = await this.startUpload();
    await this.http.send({
      method: "PUT",
      path: withDigest(location, digest),
      headers: this.h({ "content-type": "application/octet-stream", "content-length": String(data.length) }),
      body: data,
      expect: [201],
    });
  }

  /** Chunked push: POST, one PATCH per chunk (Content-Range), then PUT `?digest=` without a body. */
  async pushBlobChunked(data: Buffer, digest: string, chunkSize: number): Promise<void> {
    let location = await this.startUpload();
    for (let offset = 0; offset < data.length; offset += chunkSize) {
      const chunk = data.subarray(offset, Math.min(offset + chunkSize, data.length));
      const res = await this.http.send({
        method: "PATCH",
        path: location,
        headers: this.h({
          "content-type": "application/octet-stream",
          "content-range": `${offset}-${offset + chunk.length - 1}`,
          "content-length": String(chunk.length),
        }),
        body: chunk,
        expect: [202],
      });
      location = locationOf(res, "PATCH");
    }
    await this.http.send({ method: "PUT", path: withDigest(location, digest), headers: this.h({ "content-length": "0" }), expect: [201] });
  }

  /**
   * Streams `total` bytes from `source` as one PATCH (Content-Range 0-(total-1)), hashing as it
   * goes, then closes the upload with PUT `?digest=`. Returns the digest.
   */
  async pushBlobStreamed(source: AsyncIterable<Buffer>, total: number): Promise<string> {
    const location = await this.startUpload();
    const hash = createHash("sha256");
    async function* hashing(): AsyncGenerator<Buffer> {
      for await (const chunk of source) {
        hash.update(chunk);
        yield chunk;
      }
    }
    const res = await this.http.send({
      method: "PATCH",
      path: location,
      headers: this.h({
        "content-type": "application/octet-stream",
        "content-range": `0-${total - 1}`,
        "content-length": String(total),
      }),
      body: Readable.from(hashing(), { objectMode: false }),
      expect: [202],
      timeoutMs: 300_000,
    });
    const digest = `sha256:${hash.digest("hex")}`;
    await this.http.send({ method: "PUT", path: withDigest(locationOf(res, "PATCH"), digest), headers: this.h({ "content-length": "0" }), expect: [201] });
    return digest;
  }

  /** HEAD a blob: its size, or undefined when it is not there. */
  async blobSize(digest: string): Promise<number | undefined> {
    const res = await this.http.send({ method: "HEAD", path: `/v2/${this.name}/blobs/${digest}`, headers: this.h(), expect: [200, 404] });
    return res.status === 200 ? Number(res.headers["content-length"]) : undefined;
  }

  /** What a docker/skopeo push does per blob: HEAD, and when missing POST then PUT. */
  async pushBlobIfMissing(data: Buffer, digest: string): Promise<void> {
    if ((await this.blobSize(digest)) === undefined) await this.pushBlobMonolithic(data, digest);
  }

  /** GET a blob, counting bytes (following a redirect to storage if the registry sends one). */
  async getBlob(digest: string, hash = false): Promise<StreamedResponse> {
    const res = await this.http.stream({ method: "GET", path: `/v2/${this.name}/blobs/${digest}`, headers: this.h(), expect: [200, 307], hash, timeoutMs: 300_000 });
    if (res.status !== 307) return res;
    const location = res.headers["location"];
    if (!location) throw new Error("307 without a Location header");
    // A redirect elsewhere (object store) is fetched without our token, as clients do.
    const target = new URL(location, this.http.baseUrl);
    const other = new HttpClient(target.origin);
    try {
      return await other.stream({ method: "GET", path: target.pathname + target.search, expect: [200], hash, timeoutMs: 300_000 });
    } finally {
      other.close();
    }
  }

  async putManifest(reference: string, body: Buffer, mediaType: string = MEDIA.ociManifest): Promise<void> {
    await this.http.send({
      method: "PUT",
      path: `/v2/${this.name}/manifests/${reference}`,
      headers: this.h({ "content-type": mediaType, "content-length": String(body.length) }),
      body,
      expect: [201],
    });
  }

  async getManifest(reference: string): Promise<Response> {
    return this.http.send({ method: "GET", path: `/v2/${this.name}/manifests/${reference}`, headers: this.h({ accept: MANIFEST_ACCEPT }), expect: [200] });
  }
}

/** A small image: config + layers + its OCI manifest, all in memory. */
export interface SmallImage {
  config: { data: Buffer; digest: string };
  layers: { data: Buffer; digest: string }[];
  manifest: Buffer;
  manifestDigest: string;
}

export function makeManifest(config: { data: Buffer; digest: string }, layers: { data: Buffer; digest: string }[], annotations?: Record<string, string>): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: config.digest, size: config.data.length },
      layers: layers.map((l) => ({ mediaType: MEDIA.ociLayer, digest: l.digest, size: l.data.length })),
      ...(annotations ? { annotations } : {}),
    }),
  );
}

export function makeSmallImage(layerSizes: number[], random: (n: number) => Buffer, label: string): SmallImage {
  const layers = layerSizes.map((n) => {
    const data = random(n);
    return { data, digest: sha256(data) };
  });
  const configData = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Labels: { "org.berth.bench": label } },
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
    }),
  );
  const config = { data: configData, digest: sha256(configData) };
  const manifest = makeManifest(config, layers);
  return { config, layers, manifest, manifestDigest: sha256(manifest) };
}

/** Pushes every blob (HEAD, then POST+PUT when missing) and then the manifest under `tag`. */
export async function pushImage(repo: Repo, image: SmallImage, tag: string): Promise<void> {
  for (const blob of [...image.layers, image.config]) await repo.pushBlobIfMissing(blob.data, blob.digest);
  await repo.putManifest(tag, image.manifest);
}
