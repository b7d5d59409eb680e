// The sink: the ceiling of the push benchmarks (docs/performance.md, "The ceiling"). A plain
// `node:http` server that speaks just enough of the distribution push protocol for the benchmark's
// client and does nothing else: it hashes what it receives (sha256, node:crypto, as Berth's
// registry does) and throws the bytes away. No auth, no storage, no database; what it remembers
// (received blob digests, manifests, open uploads) is bounded and in memory. Behind the same nginx
// as the registries, it measures "a Node HTTP server behind this nginx that only hashes".
//
//   GET  /v2/                                 200
//   GET  /service/token                       200 with a fixed token (no check: the sink has no auth)
//   HEAD /v2/<name>/blobs/<digest>            200 when this process received the digest, else 404
//   POST /v2/<name>/blobs/uploads/            202, Location, Docker-Upload-UUID
//   PATCH <location>                          hashes the body (Content-Range must continue it), 202, Range
//   PUT  <location>?digest=                   hashes the rest, checks the digest (400 DIGEST_INVALID), 201
//   PUT  /v2/<name>/manifests/<reference>     reads (≤ 4 MiB), sha256, 201, Docker-Content-Digest
//   GET|HEAD /v2/<name>/manifests/<ref>       what was put, by tag or digest
import { createHash, randomUUID, type Hash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const NAME = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*";
const BLOB = new RegExp(`^/v2/(${NAME})/blobs/(sha256:[a-f0-9]{64})$`);
const UPLOADS = new RegExp(`^/v2/(${NAME})/blobs/uploads/?$`);
const UPLOAD = new RegExp(`^/v2/(${NAME})/blobs/uploads/([0-9a-f-]{36})$`);
const MANIFEST = new RegExp(`^/v2/(${NAME})/manifests/([A-Za-z0-9_][A-Za-z0-9._-]{0,127}|sha256:[a-f0-9]{64})$`);

/** A Map that forgets its oldest entries beyond `limit` (insertion order). */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }
  override set(key: K, value: V): this {
    this.delete(key);
    super.set(key, value);
    if (this.size > this.limit) this.delete(this.keys().next().value as K);
    return this;
  }
}

interface Upload {
  name: string;
  hash: Hash;
  size: number;
}

interface StoredManifest {
  digest: string;
  mediaType: string;
  body: Buffer;
}

export interface SinkLimits {
  /** Blob digests remembered for HEAD (default 200,000). */
  blobs?: number;
  /** Manifests remembered, by tag and by digest (default 50,000 entries). */
  manifests?: number;
  /** Open uploads (default 10,000). */
  uploads?: number;
}

class SinkError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, headers: Record<string, string | number> = {}, body?: Buffer | string): void {
  const length = status === 204 ? {} : { "content-length": body === undefined ? 0 : Buffer.byteLength(body) };
  res.writeHead(status, { "docker-distribution-api-version": "registry/2.0", ...length, ...headers });
  res.end(body);
}

/** An OCI error answer. Expected answers (a HEAD's 404) come here directly: no Error, no stack trace to capture. */
function sendError(res: ServerResponse, status: number, code: string, message: string, detail?: unknown): void {
  const body = JSON.stringify({ errors: [{ code, message, detail: detail ?? null }] });
  send(res, status, { "content-type": "application/json" }, body);
}

/** Reads and drops whatever body a request has. */
async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req);
}

/** Feeds the request body into `hash`; returns how many bytes it had. */
async function hashBody(req: IncomingMessage, hash: Hash): Promise<number> {
  let n = 0;
  for await (const chunk of req) {
    hash.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  return n;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of req) {
    n += (chunk as Buffer).length;
    if (n > limit) throw new SinkError(413, "SIZE_INVALID", `a manifest is at most ${limit} bytes here`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The sink's request handler and its bounded memory (`createSinkServer` serves it). */
export class Sink {
  private readonly blobs: BoundedMap<string, number>;
  private readonly manifests: BoundedMap<string, StoredManifest>;
  private readonly uploads: BoundedMap<string, Upload>;

  constructor(limits: SinkLimits = {}) {
    this.blobs = new BoundedMap(limits.blobs ?? 200_000);
    this.manifests = new BoundedMap(limits.manifests ?? 50_000);
    this.uploads = new BoundedMap(limits.uploads ?? 10_000);
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.route(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      const e = err instanceof SinkError ? err : new SinkError(400, "UNSUPPORTED", `the request could not be read: ${err instanceof Error ? err.message : String(err)}`);
      // Whatever body is left is not read: close the connection after the answer.
      if (!req.complete) res.setHeader("connection", "close");
      sendError(res, e.status, e.code, e.message, e.detail);
    });
  };

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sink");
    const path = url.pathname;
    const method = req.method ?? "GET";
    let m: RegExpExecArray | null;
    if (path === "/v2/" || path === "/v2") {
      await drain(req);
      return send(res, 200, { "content-type": "application/json" }, "{}");
    }
    if (path === "/service/token") {
      const body = JSON.stringify({ token: "sink", access_token: "sink", expires_in: 300, issued_at: new Date().toISOString() });
      await drain(req);
      return send(res, 200, { "content-type": "application/json" }, body);
    }
    if ((m = UPLOADS.exec(path)) && method === "POST") {
      if (url.searchParams.has("digest") || url.searchParams.has("mount")) throw new SinkError(400, "UNSUPPORTED", "the sink takes uploads as POST, then PATCH and/or PUT ?digest=");
      await drain(req); // a POST without a digest carries no data
      const uuid = randomUUID();
      this.uploads.set(uuid, { name: m[1]!, hash: createHash("sha256"), size: 0 });
      return send(res, 202, { location: `/v2/${m[1]}/blobs/uploads/${uuid}`, "docker-upload-uuid": uuid, range: "0-0" });
    }
    if ((m = UPLOAD.exec(path))) return this.upload(req, res, m[1]!, m[2]!, url);
    if ((m = BLOB.exec(path)) && (method === "HEAD" || method === "GET")) {
      const size = this.blobs.get(m[2]!);
      await drain(req);
      if (size === undefined) return sendError(res, 404, "BLOB_UNKNOWN", "blob unknown to the sink", { digest: m[2] });
      // The sink keeps no content: it can say a blob arrived, not send it back.
      if (method === "GET") throw new SinkError(404, "BLOB_UNKNOWN", "the sink keeps no blob content", { digest: m[2] });
      return send(res, 200, { "content-length": size, "docker-content-digest": m[2]!, "content-type": "application/octet-stream" });
    }
    if ((m = MANIFEST.exec(path))) return this.manifest(req, res, method, m[1]!, m[2]!);
    await drain(req);
    throw new SinkError(404, "UNSUPPORTED", `the sink does not serve ${method} ${path}`);
  }

  private async upload(req: IncomingMessage, res: ServerResponse, name: string, uuid: string, url: URL): Promise<void> {
    const method = req.method ?? "GET";
    const upload = this.uploads.get(uuid);
    if (!upload || upload.name !== name) {
      await drain(req);
      throw new SinkError(404, "BLOB_UPLOAD_UNKNOWN", "upload unknown to the sink", { uuid });
    }
    const location = `/v2/${name}/blobs/uploads/${uuid}`;
    const range = () => (upload.size === 0 ? "0-0" : `0-${upload.size - 1}`);
    if (method === "GET") {
      await drain(req);
      return send(res, 204, { location, range: range(), "docker-upload-uuid": uuid });
    }
    if (method === "DELETE") {
      await drain(req);
      this.uploads.delete(uuid);
      return send(res, 204);
    }
    if (method !== "PATCH" && method !== "PUT") {
      await drain(req);
      throw new SinkError(405, "UNSUPPORTED", `${method} is not allowed on an upload`);
    }
    const contentRange = req.headers["content-range"];
    if (method === "PATCH" && contentRange !== undefined) {
      const r = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(contentRange);
      if (!r || Number(r[1]) !== upload.size) {
        res.setHeader("connection", "close");
        return send(res, 416, { location, range: range(), "docker-upload-uuid": uuid });
      }
    }
    let digest: string | undefined;
    if (method === "PUT") {
      digest = url.searchParams.get("digest") ?? undefined;
      if (!digest || !DIGEST.test(digest)) {
        await drain(req);
        throw new SinkError(400, "DIGEST_INVALID", "PUT needs ?digest=sha256:<64 hex>", { digest: digest ?? null });
      }
    }
    upload.size += await hashBody(req, upload.hash);
    if (method === "PATCH") return send(res, 202, { location, range: range(), "docker-upload-uuid": uuid });
    this.uploads.delete(uuid);
    const actual = `sha256:${upload.hash.digest("hex")}`;
    if (actual !== digest) throw new SinkError(400, "DIGEST_INVALID", "the content does not match the digest", { expected: digest, actual });
    this.blobs.set(actual, upload.size);
    return send(res, 201, { location: `/v2/${name}/blobs/${actual}`, "docker-content-digest": actual });
  }

  private async manifest(req: IncomingMessage, res: ServerResponse, method: string, name: string, reference: string): Promise<void> {
    if (method === "PUT") {
      const body = await readBody(req, MAX_MANIFEST_BYTES);
      const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
      if (reference.startsWith("sha256:") && reference !== digest) throw new SinkError(400, "DIGEST_INVALID", "the manifest does not match the digest in the URL", { expected: reference, actual: digest });
      const stored: StoredManifest = { digest, mediaType: String(req.headers["content-type"] ?? "application/vnd.oci.image.manifest.v1+json"), body };
      this.manifests.set(`${name}@${digest}`, stored);
      if (!reference.startsWith("sha256:")) this.manifests.set(`${name}:${reference}`, stored);
      return send(res, 201, { location: `/v2/${name}/manifests/${digest}`, "docker-content-digest": digest });
    }
    await drain(req);
    if (method !== "GET" && method !== "HEAD") throw new SinkError(405, "UNSUPPORTED", `${method} is not allowed on a manifest`);
    const stored = this.manifests.get(reference.startsWith("sha256:") ? `${name}@${reference}` : `${name}:${reference}`);
    if (!stored) throw new SinkError(404, "MANIFEST_UNKNOWN", "manifest unknown to the sink", { name, reference });
    const headers = { "content-type": stored.mediaType, "docker-content-digest": stored.digest, "content-length": stored.body.length };
    return send(res, 200, headers, method === "HEAD" ? undefined : stored.body);
  }
}

/** The sink as an HTTP server (not listening yet). */
export function createSinkServer(limits: SinkLimits = {}): Server {
  const sink = new Sink(limits);
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 900_000 }, sink.handle);
  return server;
}
