/**
 * Proxy cache projects' rules in core: whether a registry endpoint can back one (`registry_id` on
 * project create), and the refusal of writes into one.
 */
import type { Project } from "@berth/db";
import { PROXY_CACHE_TYPES } from "@berth/replication";
import { InvalidInputError, NotFoundError, PermissionDeniedError } from "../errors.js";
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

/**
 * Refuses a write into proxy cache project `project` — a tag created, an artifact copied in —
 * with {@link PermissionDeniedError} (403): what a proxy project holds comes from its upstream
 * only, as on `/v2/`. Deletes stay allowed (Harbor's rule: a cached artifact can be removed; the
 * next pull fetches it again).
 */
export function refuseProxyCacheWrite(project: Pick<Project, "name" | "registryId">, what: string): void {
  if (project.registryId === null) return;
  throw new PermissionDeniedError(
    `project ${project.name} is a proxy cache (registry_id ${project.registryId}) and read-only: ${what} is refused; its content comes from the upstream registry only (cached artifacts and tags can still be deleted)`,
  );
}
