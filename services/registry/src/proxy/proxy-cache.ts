/** The proxy cache as the `/v2/` routes use it: which repositories are proxied, their manifests and blobs. */
import type { Logger } from "@berth/logger";
import type { Redis } from "@berth/redis";
import type { RegistryStore } from "@berth/registry-store";
import type { DataKey } from "@berth/secrets";
import { BlobProxy } from "./blob-proxy.js";
import { RedisFetchLocks, type FetchLocks } from "./fetch-locks.js";
import { ManifestProxy } from "./manifest-proxy.js";
import { Upstreams } from "./upstreams.js";

export interface ProxyCache {
  upstreams: Upstreams;
  manifests: ManifestProxy;
  blobs: BlobProxy;
  /** Waits for background caching, then closes the upstream connections. */
  close(): Promise<void>;
}

export interface ProxyCacheOptions {
  store: RegistryStore;
  redis: Redis;
  logger: Logger;
  dataKey: DataKey | undefined;
  revalidateMs: number;
  upstreamTimeoutMs: number;
  /** Default: Redis keys (`SET NX PX`). */
  locks?: FetchLocks;
}

export function createProxyCache(o: ProxyCacheOptions): ProxyCache {
  const logger = o.logger.child({ module: "proxy-cache" });
  const locks = o.locks ?? new RedisFetchLocks(o.redis, logger);
  const upstreams = new Upstreams({ proxies: o.store.proxies, dataKey: o.dataKey, timeoutMs: o.upstreamTimeoutMs, logger });
  const blobs = new BlobProxy({ store: o.store, locks, logger });
  const manifests = new ManifestProxy({ store: o.store, blobs, locks, redis: o.redis, logger, revalidateMs: o.revalidateMs, timeoutMs: o.upstreamTimeoutMs });
  return {
    upstreams,
    manifests,
    blobs,
    close: async () => {
      await manifests.settle();
      await upstreams.close();
    },
  };
}
