/**
 * `@berth/registry-store`: the registry's metadata and blob logic over PostgreSQL (`@berth/db`)
 * and a storage driver (`@berth/storage`) — uploads, links, mounts, manifests, tags, referrers,
 * pull events — shared by the registry service, core and jobservice. Throws domain errors only.
 */
import type { SqlDatabase } from "@berth/db/sql";
import type { StorageDriver } from "@berth/storage";
import { BlobStore } from "./blob-store.js";
import { ListingStore } from "./listing-store.js";
import { ManifestStore } from "./manifest-store.js";
import { PullRecorder } from "./pull-recorder.js";
import { UploadStore } from "./upload-store.js";
import { ArtifactStore } from "./artifact-store.js";
import { QuotaStore } from "./quota-store.js";
import { ProxyStore } from "./proxy-store.js";
import { UsageFolder } from "./usage-folder.js";

export * from "./errors.js";
export { TagImmutableError, findImmutableTag, assertMutable } from "./immutability.js";
export { blobDataPath, uploadDataPath, uploadDirectory } from "./paths.js";
export { BlobStore, type BlobInfo, type BlobStoreOptions } from "./blob-store.js";
export { UploadStore, type ChunkOptions, type UploadSession, type UploadStoreOptions } from "./upload-store.js";
export { ManifestStore, type ManifestStoreOptions, type PushedManifest, type PutOptions, type StoredManifest } from "./manifest-store.js";
export { ListingStore, DEFAULT_PAGE_SIZE, type Page, type PageQuery } from "./listing-store.js";
export { PullRecorder, type PullRecord, type PullRecorderOptions } from "./pull-recorder.js";
export {
  GarbageCollector,
  GC_ACTOR,
  releaseLinks,
  type GarbageCollectorOptions,
  type GcHooks,
  type GcLog,
  type GcParameters,
  type GcReport,
} from "./gc/garbage-collector.js";
export { createGcRun, executeGcRun, GC_LOG_ITEM_LINES, GcRunningError, STALE_RUN_MS } from "./gc/gc-runs.js";
export {
  QuotaStore,
  QuotaExceededError,
  unlinkBlobs,
  chargeBlobs,
  foldUsage,
  lockProjectLimit,
  projectOfRepository,
  formatBytes,
  type RepositoryProject,
} from "./quota-store.js";
export {
  ArtifactStore,
  TagExistsError,
  type ArtifactChild,
  type ArtifactLabelRecord,
  type ArtifactOrderField,
  type ArtifactQuery,
  type ListOrder,
  type RepositoryOrderField,
  type ArtifactRecord,
  type RepositoryRecord,
  type TagRecord,
} from "./artifact-store.js";
export { ProxyStore, type ProxyUpstreamRow, type StaleServed } from "./proxy-store.js";
export { UsageFolder, type UsageFolderOptions } from "./usage-folder.js";
export type { Actor } from "./db.js";

/** Options of {@link createRegistryStore}. */
export interface RegistryStoreOptions {
  db: SqlDatabase;
  driver: StorageDriver;
  /** See {@link ManifestStoreOptions.contentCheckAfterMs}. */
  contentCheckAfterMs?: number;
  /** Pull event flush interval (ms, default 1000). */
  pullFlushIntervalMs?: number;
  /** Told about failed pull-event flushes. */
  onPullFlushError?: (err: unknown) => void;
  /** Told about failed folds of usage deltas (quota-store.ts; they are retried). */
  onUsageFoldError?: (err: unknown) => void;
}

/** Every store over one database and one driver. */
export interface RegistryStore {
  blobs: BlobStore;
  uploads: UploadStore;
  manifests: ManifestStore;
  listings: ListingStore;
  pulls: PullRecorder;
  /** Project usage (quota) reads and recounts. */
  quotas: QuotaStore;
  /** Repositories, artifacts and tags for core's management API. */
  artifacts: ArtifactStore;
  /** Proxy cache projects' upstreams. */
  proxies: ProxyStore;
  /** Flushes pending pull events, folds usage deltas and stops the timers (does not close the client or driver). */
  close(): Promise<void>;
}

/** Builds the stores. */
export function createRegistryStore(options: RegistryStoreOptions): RegistryStore {
  const { db, driver } = options;
  const pulls = new PullRecorder({
    db,
    ...(options.pullFlushIntervalMs !== undefined && { flushIntervalMs: options.pullFlushIntervalMs }),
    ...(options.onPullFlushError !== undefined && { onError: options.onPullFlushError }),
  });
  const usage = new UsageFolder({ db, ...(options.onUsageFoldError !== undefined && { onError: options.onUsageFoldError }) });
  return {
    blobs: new BlobStore({ db, driver, usage }),
    uploads: new UploadStore({ db, driver, usage }),
    manifests: new ManifestStore({ db, driver, usage, ...(options.contentCheckAfterMs !== undefined && { contentCheckAfterMs: options.contentCheckAfterMs }) }),
    listings: new ListingStore({ db }),
    pulls,
    quotas: new QuotaStore({ db }),
    artifacts: new ArtifactStore({ db, driver }),
    proxies: new ProxyStore({ db }),
    close: async () => {
      await Promise.all([pulls.close(), usage.close()]);
    },
  };
}
