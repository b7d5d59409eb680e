/**
 * Harbor's artifact copy (`POST …/artifacts?from=`), entirely through registry-store: every
 * blob is mounted from the source repository (a `FOR SHARE`-locked link, charged to the target
 * project's quota in the mount's transaction), children of an index are copied first, then the
 * manifest is put by digest (outbox `manifest.pushed`) and the source's tags are set on it
 * (`tag.created`), as Harbor's `copyDeeply` does for the root artifact.
 */
import {
  parseManifest,
  parseManifestReference,
  referencedBlobs,
  referencedManifests,
  type Digest,
} from "@berth/oci";
import type { Actor, RegistryStore, StoredManifest } from "@berth/registry-store";

async function copyManifest(store: RegistryStore, source: string, target: string, stored: StoredManifest, actor: Actor, depth: number): Promise<void> {
  const manifest = parseManifest(stored.payload, stored.mediaType);
  if (depth < 4) {
    for (const child of referencedManifests(manifest)) {
      const childStored = await store.manifests.get(source, parseManifestReference(child.digest));
      await copyManifest(store, source, target, childStored, actor, depth + 1);
    }
  }
  for (const blob of referencedBlobs(manifest, { skipNondistributable: true })) {
    // A missing blob is reported by the put below (ManifestBlobUnknownError).
    await store.blobs.mount(target, blob.digest, source);
  }
  await store.manifests.put(target, parseManifestReference(stored.digest), stored.payload, stored.mediaType, actor);
}

/** Copies `source`'s `reference` (tag or digest) into `target`; returns the digest. */
export async function copyArtifact(store: RegistryStore, source: string, reference: string, target: string, actor: Actor): Promise<Digest> {
  const stored = await store.manifests.get(source, parseManifestReference(reference));
  await copyManifest(store, source, target, stored, actor, 0);
  const artifact = await store.artifacts.getArtifact(source, stored.digest);
  for (const tag of artifact.tags) {
    // Harbor's tag "ensure": create or move the tag in the target.
    await store.manifests.put(target, parseManifestReference(tag.name), stored.payload, stored.mediaType, actor);
  }
  return stored.digest;
}
