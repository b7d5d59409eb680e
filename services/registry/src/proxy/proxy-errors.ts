/** What a proxy cache project answers when it cannot: domain errors, mapped in wire-errors.ts. */

/** A push, or a delete, to a proxy cache project (Harbor refuses both). */
export class ProxyReadOnlyError extends Error {
  constructor(
    readonly project: string,
    readonly registry: string,
  ) {
    super(`project ${project} is a proxy cache of registry ${registry}: it cannot be pushed to, and its manifests, tags and blobs cannot be deleted through /v2/`);
    this.name = "ProxyReadOnlyError";
  }
}

/**
 * A miss while the upstream is down, slow or throttling. Answered 404 with the manifest's or
 * blob's unknown code and this message: clients (docker, podman, skopeo) print the body of a 4xx
 * only — a 503's message would never reach the user.
 */
export class UpstreamUnavailableError extends Error {
  constructor(
    readonly kind: "manifest" | "blob",
    readonly what: string,
    readonly registry: string,
    readonly reason: string,
  ) {
    super(`${kind} ${what} is not in the proxy cache, and its upstream registry ${registry} failed: ${reason}`);
    this.name = "UpstreamUnavailableError";
  }
}
