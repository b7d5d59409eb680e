/**
 * Builds the sides of a policy: this Berth (registry-store) or a registry endpoint — its row read
 * now (so an edited endpoint is used as edited), its secret opened with the data key, its limits
 * enforced by an {@link EndpointGate}, its connections pooled per endpoint across tasks.
 */
import { AuthCache, createDispatcher, RegistryClient, type Dispatcher, type ThrottleEvent } from "@berth/distribution-client";
import type { PrismaClient, RegistryEndpoint } from "@berth/db";
import type { Redis } from "@berth/redis";
import type { RegistryStore } from "@berth/registry-store";
import { SECRET_CONTEXTS, type DataKey } from "@berth/secrets";
import type { EndpointType } from "@berth/replication";
import { EndpointGate } from "../endpoint-gate.js";
import type { Destination, Source } from "./adapter.js";
import { DistributionAdapter } from "./distribution-adapter.js";
import { DockerHubAdapter } from "./docker-hub-adapter.js";
import { HarborAdapter } from "./harbor-adapter.js";
import { LocalAdapter } from "./local-adapter.js";

export type Side = Source & Destination;

export interface AdapterFactoryOptions {
  db: PrismaClient;
  registry: RegistryStore;
  /** For the endpoints' gates (rate and concurrency across processes). */
  redis: Redis;
  prefix: string;
  dataKey: DataKey;
  userAgent: string;
}

export class AdapterFactory {
  readonly local: LocalAdapter;
  /** Per endpoint (and its version): pooled connections and the tokens fetched, shared by its tasks. */
  readonly #pools = new Map<number, { version: number; dispatcher: Dispatcher; auth: AuthCache; projects: Set<string> }>();

  constructor(private readonly o: AdapterFactoryOptions) {
    this.local = new LocalAdapter(o.registry, async (name) => (await o.db.project.findUnique({ where: { name }, select: { registryId: true } })) ?? undefined);
  }

  /**
   * The side `registryId` names (null: this Berth), as a source or a destination (which writes, so
   * its tokens are asked with push from the start); `onThrottle` hears of every 429 on it.
   */
  async side(registryId: number | null, role: "source" | "destination", onThrottle?: (e: ThrottleEvent) => void): Promise<Side> {
    if (registryId === null) return this.local;
    const row = await this.o.db.registryEndpoint.findUnique({ where: { id: registryId } });
    if (!row) throw new Error(`registry ${registryId} no longer exists`);
    return this.remote(row, role, onThrottle);
  }

  remote(row: RegistryEndpoint, role: "source" | "destination", onThrottle?: (e: ThrottleEvent) => void): Side {
    const pool = this.#pool(row);
    const secret = row.accessSecret ? this.o.dataKey.open(row.accessSecret, SECRET_CONTEXTS.registryEndpoint(row.id)) : "";
    const client = new RegistryClient({
      url: row.url,
      credential: row.accessKey || secret ? { username: row.accessKey, password: secret } : undefined,
      gate: row.requestsPerSecond > 0 || row.maxConcurrency > 0 ? new EndpointGate(this.o.redis, { id: row.id, requestsPerSecond: row.requestsPerSecond, maxConcurrency: row.maxConcurrency }, this.o.prefix) : undefined,
      userAgent: this.o.userAgent,
      onThrottle,
      dispatcher: pool.dispatcher,
      authCache: pool.auth,
      writer: role === "destination",
    });
    const label = `${row.name} (${row.url})`;
    switch (row.type as EndpointType) {
      case "berth":
      case "harbor":
        return new HarborAdapter(client, label, row.id, pool.projects);
      case "docker-hub":
        return new DockerHubAdapter(client, label, row.id);
      case "docker-registry":
        return new DistributionAdapter(client, label, row.id);
      default:
        throw new Error(`registry ${row.name} has an unknown type ${row.type}`);
    }
  }

  /** One connection pool and token cache per endpoint, replaced when the endpoint changes (TLS, credentials). */
  #pool(row: RegistryEndpoint): { dispatcher: Dispatcher; auth: AuthCache; projects: Set<string> } {
    const version = row.updatedAt.getTime();
    const pool = this.#pools.get(row.id);
    if (pool && pool.version === version) return pool;
    if (pool) void pool.dispatcher.close().catch(() => undefined);
    const fresh = { version, dispatcher: createDispatcher({ insecure: row.insecure, caCertificate: row.caCertificate ?? undefined }), auth: new AuthCache(), projects: new Set<string>() };
    this.#pools.set(row.id, fresh);
    return fresh;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((p) => p.dispatcher.close().catch(() => undefined)));
    this.#pools.clear();
  }
}
