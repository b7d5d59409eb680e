/**
 * `@berth/distribution-client`: a client of the OCI Distribution API for registry-to-registry
 * traffic (replication today, the proxy cache later). It knows registries, not Berth: limits come
 * in through a {@link RequestGate}, progress and throttling go out through callbacks.
 */
export { RegistryClient, MANIFEST_ACCEPT, type Manifest, type ManifestInfo, type ReferrerDescriptor, type RegistryClientOptions, type Upload } from "./registry-client.js";
export { AuthCache, Transport, basicHeader, createDispatcher, sleep, type Credential, type RequestBody, type RequestGate, type ThrottleEvent, type TransportOptions } from "./transport.js";
export type { Dispatcher } from "undici";
export { parseChallenge, parseRetryAfter, nextLink, uploadOffset, type Challenge } from "./headers.js";
export * from "./errors.js";
