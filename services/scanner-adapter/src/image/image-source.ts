/**
 * Reading an image from a registry with the scan request's authorization: the manifest (an
 * index resolves to its linux/amd64 image, else its first), the config's diff_ids, and each layer
 * as a stream whose digest is checked as it passes. Behind a small interface so it can move onto
 * the shared distribution client later.
 */
import { createHash } from "node:crypto";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { LayerSource } from "../analysis/image-analyzer.js";

const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");
const INDEXES = new Set(["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"]);
const MAX_MANIFEST = 4 * 1024 * 1024;

/** The image as analysis needs it. */
export interface ResolvedImage {
  manifestDigest: string;
  mediaType: string;
  layers: LayerSource[];
}

/** Where an image comes from. */
export interface ImageSource {
  resolve(): Promise<ResolvedImage>;
}

/** The registry refused or failed (the scan fails with this message). */
export class RegistryPullError extends Error {
  override name = "RegistryPullError";
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string };
}

/** Checks a stream's sha256 against `digest` as it passes; fails the stream on a mismatch. */
function verifying(digest: string): Transform {
  const [alg, hex] = digest.split(":");
  const hash = alg === "sha256" ? createHash("sha256") : undefined;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash?.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      if (hash && hash.digest("hex") !== hex) cb(new RegistryPullError(`blob ${digest} does not match its digest`));
      else cb();
    },
  });
}

/** The Distribution API over HTTP (`url` the registry's base, as the scan request gives it). */
export class RegistryImageSource implements ImageSource {
  #authorization: string | undefined;
  readonly #base: string;

  constructor(private readonly o: { url: string; repository: string; reference: string; authorization?: string | undefined; timeoutMs?: number }) {
    this.#base = o.url.replace(/\/+$/, "");
    this.#authorization = o.authorization;
  }

  async #get(path: string, accept?: string, retried = false): Promise<Response> {
    const headers: Record<string, string> = {};
    if (accept) headers["accept"] = accept;
    if (this.#authorization) headers["authorization"] = this.#authorization;
    let res: Response;
    try {
      res = await fetch(`${this.#base}/v2/${this.o.repository}/${path}`, { headers, signal: AbortSignal.timeout(this.o.timeoutMs ?? 600_000) });
    } catch (err) {
      throw new RegistryPullError(`cannot reach the registry at ${this.#base}: ${(err as Error).message}`);
    }
    if (res.status === 401 && !retried && (await this.#exchange(res))) return this.#get(path, accept, true);
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new RegistryPullError(`GET /v2/${this.o.repository}/${path.slice(0, 120)} answered ${res.status}`);
    }
    return res;
  }

  /**
   * Basic credentials (a robot account, as Harbor sends them) are exchanged at the token service
   * the registry's challenge names; a bearer token is used as given.
   */
  async #exchange(res: Response): Promise<boolean> {
    await res.body?.cancel();
    const challenge = res.headers.get("www-authenticate") ?? "";
    if (!/^Bearer /i.test(challenge) || !this.#authorization || !/^Basic /i.test(this.#authorization)) return false;
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
    if (!params["realm"]) return false;
    const url = new URL(params["realm"]);
    if (params["service"]) url.searchParams.set("service", params["service"]);
    url.searchParams.set("scope", params["scope"] ?? `repository:${this.o.repository}:pull`);
    const token = await fetch(url, { headers: { authorization: this.#authorization }, signal: AbortSignal.timeout(30_000) });
    if (token.status !== 200) throw new RegistryPullError(`the token service refused the scan's credentials (${token.status})`);
    const body = (await token.json()) as { token?: string; access_token?: string };
    const value = body.token ?? body.access_token;
    if (!value) return false;
    this.#authorization = `Bearer ${value}`;
    return true;
  }

  async #json(path: string, accept?: string): Promise<{ body: Record<string, unknown>; mediaType: string }> {
    const res = await this.#get(path, accept);
    const text = await res.text();
    if (text.length > MAX_MANIFEST) throw new RegistryPullError(`${path} is larger than ${MAX_MANIFEST} bytes`);
    try {
      return { body: JSON.parse(text) as Record<string, unknown>, mediaType: (res.headers.get("content-type") ?? "").split(";")[0]!.trim() };
    } catch {
      throw new RegistryPullError(`${path} is not JSON`);
    }
  }

  async resolve(): Promise<ResolvedImage> {
    let { body, mediaType } = await this.#json(`manifests/${this.o.reference}`, MANIFEST_ACCEPT);
    let digest = this.o.reference;
    mediaType = (body["mediaType"] as string | undefined) ?? mediaType;
    if (INDEXES.has(mediaType)) {
      const manifests = (body["manifests"] as Descriptor[] | undefined) ?? [];
      const pick = manifests.find((m) => m.platform?.os === "linux" && m.platform.architecture === "amd64") ?? manifests.find((m) => !INDEXES.has(m.mediaType ?? ""));
      if (!pick) throw new RegistryPullError("the index lists no image manifest");
      digest = pick.digest;
      ({ body, mediaType } = await this.#json(`manifests/${pick.digest}`, MANIFEST_ACCEPT));
      mediaType = (body["mediaType"] as string | undefined) ?? mediaType;
    }
    const config = body["config"] as Descriptor | undefined;
    const layers = (body["layers"] as Descriptor[] | undefined) ?? [];
    if (!config?.digest) throw new RegistryPullError("the manifest has no config");
    const { body: cfg } = await this.#json(`blobs/${config.digest}`);
    const diffIds = ((cfg["rootfs"] as { diff_ids?: string[] } | undefined)?.diff_ids ?? []) as string[];
    return {
      manifestDigest: digest,
      mediaType,
      layers: layers.map((l, i) => ({
        ref: { digest: l.digest, diff_id: diffIds[i] ?? "" },
        open: async () => {
          const res = await this.#get(`blobs/${l.digest}`);
          const check = verifying(l.digest);
          // Errors travel both ways: a failed download fails the check, a failed analysis stops the download.
          void pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), check).catch(() => undefined);
          return check;
        },
      })),
    };
  }
}
