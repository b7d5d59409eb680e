/**
 * A remote registry that speaks the Distribution API (`docker-registry`, and the content side of
 * every other remote type): `_catalog` + `tags/list` for listing, `/v2/` for everything else,
 * through `@berth/distribution-client` (auth, 429, the endpoint's gate).
 */
import type { Readable } from "node:stream";
import { RegistryHttpError, type Manifest, type ManifestInfo, type ReferrerDescriptor, type RegistryClient, type RequestBody } from "@berth/distribution-client";
import { LabelsUnsupportedError, type ArtifactRef, type Destination, type ListArtifactsOptions, type ListHint, type Source, type UploadHandle } from "./adapter.js";

export class DistributionAdapter implements Source, Destination {
  readonly key: string;

  constructor(
    readonly client: RegistryClient,
    readonly label: string,
    endpointId: number,
  ) {
    this.key = `registry:${endpointId}`;
  }

  async listRepositories(_hint: ListHint, signal: AbortSignal): Promise<string[]> {
    return this.client.catalog(signal);
  }

  async listArtifacts(repository: string, signal: AbortSignal, options: ListArtifactsOptions = {}): Promise<ArtifactRef[]> {
    if (options.labels) throw new LabelsUnsupportedError(this.label);
    try {
      return (await this.client.tags(repository, signal)).map((tag) => ({ tags: [tag] }));
    } catch (err) {
      if (err instanceof RegistryHttpError && err.status === 404) return [];
      throw err;
    }
  }

  getManifest(repository: string, reference: string, signal: AbortSignal): Promise<Manifest | undefined> {
    return this.client.getManifest(repository, reference, signal);
  }

  headManifest(repository: string, reference: string, signal: AbortSignal): Promise<ManifestInfo | undefined> {
    return this.client.headManifest(repository, reference, signal);
  }

  async openBlob(repository: string, digest: string, range: { offset: number; length?: number | undefined }, signal: AbortSignal): Promise<Readable> {
    return (await this.client.getBlob(repository, digest, { offset: range.offset, length: range.length, signal })).body;
  }

  async referrers(repository: string, digest: string, signal: AbortSignal): Promise<ReferrerDescriptor[]> {
    return (await this.client.referrers(repository, digest, signal)).descriptors;
  }

  async prepare(_repositories: readonly string[], _signal: AbortSignal): Promise<void> {}

  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string, signal: AbortSignal): Promise<{ digest: string; referrersApi: boolean }> {
    const r = await this.client.putManifest(repository, reference, bytes, mediaType, signal);
    return { digest: r.digest, referrersApi: r.subject !== undefined };
  }

  async blobExists(repository: string, digest: string, signal: AbortSignal): Promise<boolean> {
    return (await this.client.blobSize(repository, digest, signal)) !== undefined;
  }

  async mountBlob(repository: string, digest: string, from: string, signal: AbortSignal): Promise<boolean> {
    const upload = await this.client.mountBlob(repository, digest, from, signal);
    if (upload) await this.client.cancelUpload(upload, signal);
    return upload === undefined;
  }

  pushBlob(repository: string, digest: string, size: number, body: RequestBody, signal: AbortSignal): Promise<void> {
    return this.client.pushBlob(repository, digest, size, body, signal);
  }

  startUpload(repository: string, signal: AbortSignal): Promise<UploadHandle> {
    return this.client.startUpload(repository, signal);
  }

  uploadStatus(handle: UploadHandle, signal: AbortSignal): Promise<UploadHandle | undefined> {
    return this.client.uploadStatus(handle, signal);
  }

  uploadChunk(handle: UploadHandle, length: number, body: RequestBody, signal: AbortSignal): Promise<UploadHandle> {
    return this.client.uploadChunk(handle, length, body, signal);
  }

  completeUpload(handle: UploadHandle, digest: string, signal: AbortSignal): Promise<void> {
    return this.client.completeUpload(handle, digest, undefined, signal);
  }

  deleteManifest(repository: string, digest: string, signal: AbortSignal): Promise<boolean> {
    return this.client.deleteManifest(repository, digest, signal);
  }

  /**
   * OCI 1.1 lets a registry delete a tag alone (`DELETE …/manifests/<tag>`); Distribution 2.8
   * refuses. Then the manifest itself is deleted when no other tag of the repository points at it
   * (its tags go with it); otherwise the tag stays and the log says why.
   */
  async deleteTag(repository: string, tag: string, digest: string, signal: AbortSignal): Promise<string> {
    try {
      return (await this.client.deleteManifest(repository, tag, signal)) ? `deleted tag ${tag}` : `tag ${tag} was not there`;
    } catch (err) {
      if (!(err instanceof RegistryHttpError) || err.status === 404 || err.status >= 500) throw err;
    }
    const current = await this.client.headManifest(repository, tag, signal);
    if (!current) return `tag ${tag} was not there`;
    if (current.digest !== digest) return `tag ${tag} now names ${current.digest}, not the deleted ${digest}: kept`;
    const others: string[] = [];
    for (const t of await this.client.tags(repository, signal)) {
      if (t !== tag && (await this.client.headManifest(repository, t, signal))?.digest === digest) others.push(t);
    }
    if (others.length) return `the registry cannot delete tag ${tag} alone and ${others.join(", ")} also name ${digest}: kept`;
    await this.client.deleteManifest(repository, digest, signal);
    return `deleted tag ${tag} (the registry deletes tags with their manifest; no other tag named ${digest})`;
  }
}
