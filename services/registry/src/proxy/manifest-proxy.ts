/**
 * A proxy project's manifests. By digest: the cached copy when there is one (content-addressed,
 * never revalidated). By tag: the cached copy while the upstream's last answer to a HEAD of the tag
 * is fresh (`BERTH_PROXY_REVALIDATE_SECONDS`, kept in Redis so every replica shares it), else a
 * HEAD (not a GET: upstream pull quotas) decides whether the cached copy still stands. A miss is
 * fetched by digest (the bytes are verified against it) and served; its blobs and then the
 * manifest are cached in the background. An image index is cached at once, without its
 * platforms' manifests: each is cached when a client asks for it by digest, and linked to the
 * index as its child then (quotas, GC and retention see what they see of a pushed index). When
 * the upstream is down, slow or answers 429, the cached copy is served with a warning and a
 * `proxy.stale_served` event; a miss then fails clearly.
 */
import { RegistryHttpError, type Manifest } from "@berth/distribution-client";
import type { Logger } from "@berth/logger";
import { isIndexMediaType, parseManifest, referencedBlobs, referencedManifests, type Digest, type ManifestReference } from "@berth/oci";
import { ManifestBlobUnknownError, ManifestUnknownError, NameUnknownError, type RegistryStore, type StoredManifest } from "@berth/registry-store";
import type { Redis } from "@berth/redis";
import type { BlobProxy } from "./blob-proxy.js";
import type { FetchLocks } from "./fetch-locks.js";
import { UpstreamUnavailableError } from "./proxy-errors.js";
import { upstreamFailure } from "./upstream-failure.js";
import type { Upstream } from "./upstreams.js";

/** A manifest to answer with: the cached row, or bytes fetched from the upstream (no id). */
export interface ServedManifest {
  id?: bigint;
  digest: string;
  mediaType: string;
  payload: Buffer;
  size: number;
}

export interface ManifestProxyOptions {
  store: RegistryStore;
  blobs: BlobProxy;
  locks: FetchLocks;
  redis: Redis;
  logger: Logger;
  /** How long a tag's HEAD answer stands (ms; 0: ask on every pull). */
  revalidateMs: number;
  /** Longest wait for the upstream on a manifest request (ms). */
  timeoutMs: number;
}

export class ManifestProxy {
  readonly #o: ManifestProxyOptions;
  readonly #background = new Set<Promise<void>>();

  constructor(options: ManifestProxyOptions) {
    this.#o = options;
  }

  /** The manifest to serve for `reference` of proxied `repository`. */
  async get(repository: string, reference: ManifestReference, upstream: Upstream): Promise<ServedManifest> {
    const local = await this.#local(repository, reference);
    if (local && reference.kind === "digest") return local;
    const what = `${repository}:${reference.kind === "tag" ? reference.tag : reference.digest}`;
    if (local && reference.kind === "tag") {
      const tag = reference.tag;
      if (await this.#fresh(repository, tag, local.digest)) return local;
      let digest: Digest | undefined;
      try {
        digest = (await upstream.client.headManifest(upstream.repository, tag, this.#signal()))?.digest;
      } catch (err) {
        return this.#stale(local, repository, tag, upstream, err);
      }
      if (digest === undefined) {
        this.#o.logger.warn("proxy cache: the upstream no longer has a cached tag; serving the cached copy", { repository, tag, upstream: upstream.registry });
        return local;
      }
      if (digest === local.digest) {
        await this.#markFresh(repository, tag, digest);
        return local;
      }
      let fetched: Manifest | undefined;
      try {
        fetched = await upstream.client.getManifest(upstream.repository, digest, this.#signal());
      } catch (err) {
        return this.#stale(local, repository, tag, upstream, err);
      }
      if (!fetched) return local;
      this.#cacheLater(repository, reference, fetched, upstream);
      return served(fetched);
    }
    const fetched = await this.#fetchMiss(what, upstream, reference);
    this.#cacheLater(repository, reference, fetched, upstream);
    return served(fetched);
  }

  /** Waits for the background caching started so far (tests and shutdown). */
  async settle(): Promise<void> {
    while (this.#background.size) await Promise.allSettled([...this.#background]);
  }

  async #fetchMiss(what: string, upstream: Upstream, reference: ManifestReference): Promise<Manifest> {
    try {
      // By tag: the HEAD names the digest, and the GET by digest is verified against it.
      const digest = reference.kind === "digest" ? reference.digest : (await upstream.client.headManifest(upstream.repository, reference.tag, this.#signal()))?.digest;
      const fetched = digest && (await upstream.client.getManifest(upstream.repository, digest, this.#signal()));
      if (!fetched) throw new ManifestUnknownError(reference.kind === "tag" ? reference.tag : reference.digest);
      return fetched;
    } catch (err) {
      if (err instanceof RegistryHttpError && err.status === 404) throw new ManifestUnknownError(reference.kind === "tag" ? reference.tag : reference.digest);
      const reason = upstreamFailure(err);
      if (reason === undefined) throw err;
      throw new UpstreamUnavailableError("manifest", what, upstream.registry, reason);
    }
  }

  async #local(repository: string, reference: ManifestReference): Promise<StoredManifest | undefined> {
    try {
      return await this.#o.store.manifests.get(repository, reference);
    } catch (err) {
      if (err instanceof ManifestUnknownError || err instanceof NameUnknownError) return undefined;
      throw err;
    }
  }

  async #stale(local: StoredManifest, repository: string, tag: string, upstream: Upstream, err: unknown): Promise<StoredManifest> {
    const reason = upstreamFailure(err);
    if (reason === undefined) throw err;
    this.#o.logger.warn("proxy cache: the upstream failed; serving the cached copy", { repository, tag, digest: local.digest, upstream: upstream.registry, reason });
    await this.#o.store.proxies
      .recordStaleServed({ repository, digest: local.digest, tag, upstream: upstream.registry, details: reason })
      .catch((e: unknown) => this.#o.logger.warn("proxy cache: could not record a proxy.stale_served event", { err: e }));
    // The failing upstream is asked again after the revalidation period, not on every pull.
    await this.#markFresh(repository, tag, local.digest);
    return local;
  }

  #signal(): AbortSignal {
    return AbortSignal.timeout(this.#o.timeoutMs);
  }

  #freshKey(repository: string, tag: string): string {
    return `berth:proxy:tag:${repository}:${tag}`;
  }

  async #fresh(repository: string, tag: string, digest: string): Promise<boolean> {
    if (this.#o.revalidateMs <= 0) return false;
    const known = await this.#o.redis.get(this.#freshKey(repository, tag)).catch(() => null);
    return known === digest;
  }

  async #markFresh(repository: string, tag: string, digest: string): Promise<void> {
    if (this.#o.revalidateMs <= 0) return;
    await this.#o.redis.set(this.#freshKey(repository, tag), digest, "PX", this.#o.revalidateMs).catch(() => undefined);
  }

  /** Caches the manifest's blobs, then the manifest (under its tag), once across concurrent pulls. */
  #cacheLater(repository: string, reference: ManifestReference, manifest: Manifest, upstream: Upstream): void {
    const job = this.#cache(repository, reference, manifest, upstream).catch((err: unknown) => {
      this.#o.logger.warn("proxy cache: could not cache a manifest", { repository, digest: manifest.digest, upstream: upstream.registry, err });
    });
    this.#background.add(job);
    void job.finally(() => this.#background.delete(job));
  }

  async #cache(repository: string, reference: ManifestReference, manifest: Manifest, upstream: Upstream): Promise<void> {
    const parsed = parseManifest(manifest.bytes, manifest.mediaType);
    const lease = await this.#o.locks.tryAcquire(`manifest:${repository}@${manifest.digest}:${reference.kind === "tag" ? reference.tag : ""}`);
    if (!lease) return; // another pull caches it
    try {
      for (const blob of referencedBlobs(parsed, { skipNondistributable: true })) {
        await this.#o.blobs.ensure(repository, blob.digest as Digest, upstream);
      }
      // An index is stored without waiting for its platforms' manifests (a puller fetches one):
      // each is cached when a client asks for it by digest, and linked to the index then.
      const index = isIndexMediaType(parsed.mediaType);
      try {
        await this.#o.store.manifests.put(repository, reference, manifest.bytes, manifest.mediaType, undefined, { absentChildren: index });
      } catch (err) {
        if (err instanceof ManifestBlobUnknownError) return; // collected meanwhile: the next pull caches it
        throw err;
      }
      // Whichever of an index and its child is stored last links them (linkChildren).
      const children = index ? referencedManifests(parsed).map((c) => c.digest) : [manifest.digest];
      await this.#o.store.manifests.linkChildren(repository, children);
      if (reference.kind === "tag") await this.#markFresh(repository, reference.tag, manifest.digest);
    } finally {
      await lease.release();
    }
  }
}

function served(m: Manifest): ServedManifest {
  return { digest: m.digest, mediaType: m.mediaType, payload: m.bytes, size: m.size };
}
