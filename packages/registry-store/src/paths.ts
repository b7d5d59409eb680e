/**
 * The one storage layout of the registry (in the style of Distribution's `paths.go`):
 *
 * - `/blobs/<algorithm>/<first two hex>/<hex>/data` — content-addressed blob bytes;
 * - `/uploads/<session uuid>/data` — the bytes of an upload in progress.
 *
 * Manifests' bytes live in PostgreSQL (`manifests.payload`), not in storage.
 */
import { digestAlgorithm, digestEncoded, type Digest } from "@berth/oci";

/** Storage path of a blob's content. */
export function blobDataPath(digest: Digest): string {
  const hex = digestEncoded(digest);
  return `/blobs/${digestAlgorithm(digest)}/${hex.slice(0, 2)}/${hex}/data`;
}

/** Storage directory of an upload session. */
export function uploadDirectory(sessionId: string): string {
  return `/uploads/${sessionId}`;
}

/** Storage path of an upload session's bytes. */
export function uploadDataPath(sessionId: string): string {
  return `${uploadDirectory(sessionId)}/data`;
}
