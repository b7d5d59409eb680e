/** `GET`/`HEAD`/`PUT`/`DELETE /v2/<name>/manifests/<reference>`. */
import { MAX_MANIFEST_BYTES, ManifestTooLargeError, TagInvalidError, parseManifestReference, type ManifestReference } from "@berth/oci";
import { ManifestUnknownError, type RegistryStore } from "@berth/registry-store";
import { readBody } from "./http-util.js";
import type { ProxyCache } from "./proxy/proxy-cache.js";
import { repoPath, type RouteContext } from "./route-context.js";

export interface ManifestHandlers {
  fetch(ctx: RouteContext, reference: string): Promise<void>;
  put(ctx: RouteContext, reference: string): Promise<void>;
  delete(ctx: RouteContext, reference: string): Promise<void>;
}

/**
 * The reference of a GET, HEAD or DELETE: a name that is neither a valid tag nor a digest names
 * no manifest (none can be stored under it), so it is MANIFEST_UNKNOWN (404), as in Distribution
 * and as conformance tests expect; a malformed digest stays DIGEST_INVALID. Only a PUT under an
 * invalid tag is TAG_INVALID (400).
 */
function existingReference(raw: string): ManifestReference {
  try {
    return parseManifestReference(raw);
  } catch (err) {
    if (err instanceof TagInvalidError) throw new ManifestUnknownError(raw.length > 256 ? `${raw.slice(0, 256)}…` : raw);
    throw err;
  }
}

/** Manifest handlers over the store. */
export function manifestHandlers(deps: { store: RegistryStore; proxy?: ProxyCache | undefined }): ManifestHandlers {
  const { manifests, pulls } = deps.store;
  const { proxy } = deps;
  return {
    async fetch({ req, res, name, grant }, raw) {
      const reference = existingReference(raw);
      const upstream = proxy && (await proxy.upstreams.of(name));
      const manifest = upstream ? await proxy.manifests.get(name, reference, upstream) : await manifests.get(name, reference);
      res.status(200);
      res.setHeader("Content-Type", manifest.mediaType);
      res.setHeader("Content-Length", manifest.payload.byteLength);
      res.setHeader("Docker-Content-Digest", manifest.digest);
      res.setHeader("ETag", `"${manifest.digest}"`);
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      res.end(manifest.payload);
      // A manifest served straight from the upstream has no row yet: its pull is not recorded.
      if (manifest.id === undefined) return;
      pulls.record({
        manifestId: manifest.id,
        repository: name,
        digest: manifest.digest,
        mediaType: manifest.mediaType,
        size: manifest.size,
        tag: reference.kind === "tag" ? reference.tag : undefined,
        actor: grant.subject || undefined,
      });
    },

    async put({ req, res, name, grant }, raw) {
      const reference = parseManifestReference(raw);
      const body = await readBody(req, MAX_MANIFEST_BYTES, (size) => new ManifestTooLargeError(size, MAX_MANIFEST_BYTES));
      const pushed = await manifests.put(name, reference, body, req.headers["content-type"], { name: grant.subject });
      res.status(201);
      res.setHeader("Location", `${repoPath(name)}/manifests/${pushed.digest}`);
      res.setHeader("Docker-Content-Digest", pushed.digest);
      if (pushed.subject !== undefined) res.setHeader("OCI-Subject", pushed.subject);
      res.setHeader("Content-Length", 0);
      res.end();
    },

    async delete({ res, name, grant }, raw) {
      const reference = existingReference(raw);
      await manifests.delete(name, reference, { name: grant.subject });
      res.status(202).setHeader("Content-Length", 0);
      res.end();
    },
  };
}
