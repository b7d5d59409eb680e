/**
 * What core asks of a remote registry itself: is it there, and does it take the credentials
 * (`POST /registries/ping`, each endpoint's `status`). Through `@berth/distribution-client`, as
 * the replication engine talks to it.
 */
import { DistributionClientError, RegistryClient } from "@berth/distribution-client";
import { adapterInfo, type EndpointType } from "@berth/replication";
import { InvalidInputError } from "../errors.js";
import type { EndpointConnection } from "./endpoint-store.js";

/** How long a ping may take (a token service hashing a password on a busy machine takes a while). */
const PING_TIMEOUT_MS = 10_000;

export class EndpointService {
  constructor(private readonly userAgent = "berth-core") {}

  /** Throws {@link InvalidInputError} naming why the registry cannot be used. */
  async ping(endpoint: EndpointConnection, timeoutMs = PING_TIMEOUT_MS): Promise<void> {
    const client = new RegistryClient({
      url: endpoint.url,
      credential: endpoint.credential,
      insecure: endpoint.insecure,
      caCertificate: endpoint.caCertificate ?? undefined,
      userAgent: this.userAgent,
      maxThrottledAttempts: 1,
      headersTimeoutMs: timeoutMs,
      bodyTimeoutMs: timeoutMs,
    });
    try {
      await client.ping(AbortSignal.timeout(timeoutMs));
    } catch (err) {
      if (err instanceof DistributionClientError) throw new InvalidInputError(`failed to ping the registry: ${err.message}`);
      if ((err as Error).name === "TimeoutError") throw new InvalidInputError(`failed to ping the registry: no answer within ${timeoutMs / 1000} s`);
      throw err;
    } finally {
      await client.close();
    }
  }

  /** `healthy` when a ping succeeds, else `unhealthy`. */
  async status(endpoint: EndpointConnection): Promise<"healthy" | "unhealthy"> {
    return this.ping(endpoint, 10_000).then(
      () => "healthy",
      () => "unhealthy",
    );
  }

  info(type: EndpointType) {
    return adapterInfo(type);
  }
}
