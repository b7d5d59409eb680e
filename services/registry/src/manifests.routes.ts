/** `GET`/`HEAD`/`PUT`/`DELETE /v2/<name>/manifests/<reference>`. */
import { MAX_MANIFEST_BYTES, ManifestTooLargeError, TagInvalidError, parseManifestReference, type ManifestReference } from "@berth/oci";
import { ManifestUnknownError, type RegistryStore } from "@berth/registry-store";
import { pullRefusalMessage, SCANNABLE_MANIFEST_TYPES, type PullDecision } from "@berth/scanning";
import { readBody } from "./http-util.js";
import type { ProxyCache } from "./proxy/proxy-cache.js";
import { PullBlockedError } from "./wire-errors.js";
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

/** `prevent_vul` (docs/scanning.md): whether a GET of `digest` from `repository` may be served (`isImage`: only images are judged). */
export interface PullPolicy {
  decide(repository: string, digest: string, isImage: () => boolean): Promise<PullDecision>;
}

/**
 * Token purposes whose pulls `prevent_vul` never refuses: the scanner reads what it scans.
 * (Replication reads this Berth through registry-store, never a /v2/ GET, so needs no exemption.)
 */
const EXEMPT_PURPOSES = new Set(["scanner"]);

const IMAGE_CONFIGS = new Set(["application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"]);

/**
 * Whether `prevent_vul` applies to a manifest: images only (what scanners scan). SBOMs, signatures
 * and other artifacts stay pullable, and an index is judged by the image a client pulls next.
 */
function isScannableImage(mediaType: string, payload: Uint8Array): boolean {
  if (!SCANNABLE_MANIFEST_TYPES.some((t) => t === mediaType)) return false;
  try {
    const m = JSON.parse(Buffer.from(payload).toString("utf8")) as { artifactType?: unknown; config?: { mediaType?: unknown } };
    return m.artifactType === undefined && IMAGE_CONFIGS.has(String(m.config?.mediaType));
  } catch {
    return false;
  }
}

/** Manifest handlers over the store. */
export function manifestHandlers(deps: { store: RegistryStore; proxy?: ProxyCache | undefined; pullPolicy?: PullPolicy | undefined }): ManifestHandlers {
  const { manifests, pulls } = deps.store;
  const { proxy } = deps;
  return {
    async fetch({ req, res, name, grant }, raw) {
      const reference = existingReference(raw);
      const upstream = proxy && (await proxy.upstreams.of(name));
      const manifest = upstream ? await proxy.manifests.get(name, reference, upstream) : await manifests.get(name, reference);
      // Whichever manifest is served (local, or from a proxy project's upstream), GET only, by tag or
      // digest: HEAD stays allowed so clients can check digests and re-push fixed images.
      if (req.method === "GET" && deps.pullPolicy && !EXEMPT_PURPOSES.has(grant.purpose ?? "")) {
        const decision = await deps.pullPolicy.decide(name, manifest.digest, () => isScannableImage(manifest.mediaType, manifest.payload));
        if (!decision.allowed) {
          throw new PullBlockedError(pullRefusalMessage(decision), {
            reason: decision.reason,
            severity: decision.severity,
            ...(decision.reason === "vulnerable" && { cves: decision.cves }),
          });
        }
      }
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
