/** Replication's words, as Harbor's API spells them. */

/** The vendor type of replication executions (`executions.vendor_type`). */
export const REPLICATION_VENDOR_TYPE = "REPLICATION";

/**
 * Registry endpoint types (adapters): `berth` and `harbor` list through Harbor's API v2.0 and copy
 * through `/v2/`; `docker-registry` is any Distribution API registry (`_catalog`, `tags/list`);
 * `docker-hub` speaks Docker Hub's naming (`library/` for official images) and lists the
 * repositories a name filter spells out.
 */
export const ENDPOINT_TYPES = ["berth", "docker-hub", "docker-registry", "harbor"] as const;
export type EndpointType = (typeof ENDPOINT_TYPES)[number];

/** Endpoint types a proxy cache project may pull through: every adapter reads through `/v2/`. */
export const PROXY_CACHE_TYPES: readonly EndpointType[] = ENDPOINT_TYPES;

export const TRIGGER_TYPES = ["manual", "scheduled", "event_based"] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

export const FILTER_TYPES = ["name", "tag", "label", "resource"] as const;
export type FilterType = (typeof FILTER_TYPES)[number];

/** `resource` filter values: images only, or every artifact. */
export const RESOURCE_TYPES = ["image", "artifact"] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** Where Docker Hub serves the registry API (the default URL of a `docker-hub` endpoint). */
export const DOCKER_HUB_URL = "https://registry-1.docker.io";

/** Harbor's `RegistryInfo` of an adapter. */
export function adapterInfo(type: EndpointType) {
  const descriptions: Record<EndpointType, string> = {
    berth: "Berth: lists through the Harbor-compatible API v2.0, copies through the Distribution API",
    harbor: "Harbor: lists through Harbor's API v2.0, copies through the Distribution API",
    "docker-registry": "Any registry that speaks the Distribution API (_catalog, tags/list)",
    "docker-hub": "Docker Hub: its token realm, library/ for official images; repositories named by the name filter",
  };
  return {
    type,
    description: descriptions[type],
    supported_resource_filters: [
      { type: "name", style: "input" },
      { type: "tag", style: "input" },
      { type: "label", style: "list" },
      { type: "resource", style: "radio", values: [...RESOURCE_TYPES] },
    ],
    supported_triggers: [...TRIGGER_TYPES],
    supported_copy_by_chunk: true,
  };
}
