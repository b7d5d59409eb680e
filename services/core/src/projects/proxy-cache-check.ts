/** Whether a registry endpoint can back a proxy cache project (`registry_id` on project create). */
import { PROXY_CACHE_TYPES } from "@berth/replication";
import { InvalidInputError, NotFoundError } from "../errors.js";
import type { EndpointStore } from "../registries/endpoint-store.js";

export class ProxyCacheCheck {
  constructor(private readonly endpoints: Pick<EndpointStore, "get">) {}

  /** Throws {@link InvalidInputError} when endpoint `registryId` is missing or of a type a proxy cannot use. */
  async assertUsable(registryId: number): Promise<void> {
    const endpoint = await this.endpoints.get(registryId).catch((err: unknown) => {
      if (err instanceof NotFoundError) throw new InvalidInputError(`registry_id ${registryId}: no such registry endpoint`);
      throw err;
    });
    if (!(PROXY_CACHE_TYPES as readonly string[]).includes(endpoint.type)) {
      throw new InvalidInputError(`registry ${endpoint.name} is of type ${endpoint.type}, which a proxy cache cannot pull through (use one of ${PROXY_CACHE_TYPES.join(", ")})`);
    }
  }
}
