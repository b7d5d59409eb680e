/**
 * This Berth as a side of a copy, through registry-store (the same tables, locks, quota and
 * outbox events as a push through the registry): the source of push mode, the destination of
 * pull mode. Writes need the repository's project to exist and not to be a proxy cache (read-only),
 * as a push through the front door does.
 */
import type { Readable } from "node:stream";
import type { Manifest, ManifestInfo, ReferrerDescriptor, RequestBody } from "@berth/distribution-client";
import { parseDigest, parseManifestReference, type Digest } from "@berth/oci";
import { BlobUnknownError, ManifestUnknownError, NameUnknownError, type RegistryStore } from "@berth/registry-store";
import { UnrecoverableError } from "@berth/queue";
import { bodyStream, type ArtifactRef, type Destination, type ListArtifactsOptions, type Source, type UploadHandle } from "./adapter.js";

/** Who the registry's events name for replicated writes. */
export const REPLICATION_ACTOR = { name: "replication" };

const missing = (err: unknown) => err instanceof ManifestUnknownError || err instanceof NameUnknownError;

export class LocalAdapter implements Source, Destination {
  readonly key = "local";
  readonly label = "this Berth";

  constructor(
    private readonly registry: RegistryStore,
    /** Project `name` (`registryId`: the endpoint it is a proxy cache of), or undefined when it does not exist. */
    private readonly project: (name: string) => Promise<{ registryId: number | null } | undefined>,
  ) {}

  async listRepositories(): Promise<string[]> {
    const out: string[] = [];
    let last: string | undefined;
    for (;;) {
      const page = await this.registry.listings.catalog({ n: 1000, ...(last !== undefined && { last }) });
      out.push(...page.items);
      if (!page.hasMore) return out;
      last = page.items.at(-1);
    }
  }

  async listArtifacts(repository: string, _signal?: AbortSignal, options: ListArtifactsOptions = {}): Promise<ArtifactRef[]> {
    if (options.labels) return this.#labelledArtifacts(repository);
    const tags: string[] = [];
    let last: string | undefined;
    for (;;) {
      const page = await this.registry.listings.tags(repository, { n: 1000, ...(last !== undefined && { last }) }).catch((err: unknown) => {
        if (missing(err)) return { items: [], hasMore: false };
        throw err;
      });
      tags.push(...page.items);
      if (!page.hasMore) break;
      last = page.items.at(-1);
    }
    return tags.map((tag) => ({ tags: [tag] }));
  }

  /** Tagged artifacts with their digests and labels' names (for a policy's label filter). */
  async #labelledArtifacts(repository: string): Promise<ArtifactRef[]> {
    const out: ArtifactRef[] = [];
    try {
      for (let skip = 0; ; skip += 100) {
        const { items } = await this.registry.artifacts.listArtifacts(repository, { tag: { kind: "any" }, skip, take: 100 });
        out.push(...items.map((a) => ({ digest: a.digest, tags: a.tags.map((t) => t.name), labels: a.labels.map((l) => l.name) })));
        if (items.length < 100) return out;
      }
    } catch (err) {
      if (missing(err)) return [];
      throw err;
    }
  }

  async getManifest(repository: string, reference: string): Promise<Manifest | undefined> {
    try {
      const m = await this.registry.manifests.get(repository, parseManifestReference(reference));
      return { digest: m.digest, mediaType: m.mediaType, size: m.size, bytes: m.payload };
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  }

  async headManifest(repository: string, reference: string): Promise<ManifestInfo | undefined> {
    const m = await this.getManifest(repository, reference);
    return m && { digest: m.digest, mediaType: m.mediaType, size: m.size };
  }

  async openBlob(repository: string, digest: string, range: { offset: number; length?: number | undefined }): Promise<Readable> {
    const d = parseDigest(digest);
    const info = await this.registry.blobs.stat(repository, d);
    return this.registry.blobs.open(d, { offset: range.offset, length: range.length ?? info.size - range.offset });
  }

  async referrers(repository: string, digest: string): Promise<ReferrerDescriptor[]> {
    const result = await this.registry.listings.referrers(repository, parseDigest(digest));
    return result.index.manifests as unknown as ReferrerDescriptor[];
  }

  async prepare(repositories: readonly string[]): Promise<void> {
    for (const project of new Set(repositories.map((r) => r.split("/")[0]!))) {
      const found = await this.project(project);
      if (!found) throw new Error(`project ${project} does not exist on this Berth: create it, then replicate into it`);
      // A proxy project stays one (registry_id is fixed): no retry.
      if (found.registryId !== null) throw new UnrecoverableError(`project ${project} is a proxy cache (read-only): replication cannot write into it`);
    }
  }

  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<{ digest: string; referrersApi: boolean }> {
    const pushed = await this.registry.manifests.put(repository, parseManifestReference(reference), bytes, mediaType, REPLICATION_ACTOR);
    return { digest: pushed.digest, referrersApi: true };
  }

  async blobExists(repository: string, digest: string): Promise<boolean> {
    try {
      await this.registry.blobs.stat(repository, parseDigest(digest));
      return true;
    } catch (err) {
      if (err instanceof BlobUnknownError) return false;
      throw err;
    }
  }

  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    return (await this.registry.blobs.mount(repository, parseDigest(digest), from)) !== undefined;
  }

  async pushBlob(repository: string, digest: string, size: number, body: RequestBody): Promise<void> {
    await this.registry.uploads.uploadMonolithic(repository, parseDigest(digest), await bodyStream(body), size);
  }

  async startUpload(repository: string): Promise<UploadHandle> {
    const s = await this.registry.uploads.start(repository);
    return { repository, location: s.id, offset: s.offset };
  }

  async uploadStatus(handle: UploadHandle): Promise<UploadHandle | undefined> {
    try {
      const s = await this.registry.uploads.status(handle.repository, handle.location);
      return { ...handle, offset: s.offset };
    } catch {
      return undefined;
    }
  }

  async uploadChunk(handle: UploadHandle, length: number, body: RequestBody): Promise<UploadHandle> {
    const s = await this.registry.uploads.append(handle.repository, handle.location, await bodyStream(body), { start: handle.offset, length });
    return { ...handle, offset: s.offset };
  }

  async completeUpload(handle: UploadHandle, digest: string): Promise<void> {
    await this.registry.uploads.complete(handle.repository, handle.location, parseDigest(digest) as Digest);
  }

  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    try {
      await this.registry.manifests.delete(repository, parseManifestReference(digest), REPLICATION_ACTOR);
      return true;
    } catch (err) {
      if (missing(err)) return false;
      throw err;
    }
  }

  async deleteTag(repository: string, tag: string): Promise<string> {
    try {
      await this.registry.manifests.delete(repository, parseManifestReference(tag), REPLICATION_ACTOR);
      return `deleted tag ${tag}`;
    } catch (err) {
      if (missing(err)) return `tag ${tag} was not there`;
      throw err;
    }
  }
}
