/**
 * Which repositories are proxied, and the client that reaches their upstream. A project's
 * `registry_id` is set when it is created and never changes, so the lookup is kept for a few
 * seconds per project (pushes and tag pulls ask on every request); the client of an endpoint is
 * rebuilt when the endpoint row changes.
 */
import { RegistryClient } from "@berth/distribution-client";
import type { Logger } from "@berth/logger";
import type { ProxyStore, ProxyUpstreamRow } from "@berth/registry-store";
import { upstreamRepository } from "@berth/replication";
import { SECRET_CONTEXTS, type DataKey } from "@berth/secrets";

/** A proxied repository's upstream. */
export interface Upstream {
  /** The proxy project's name. */
  project: string;
  /** The registry endpoint's name (for messages and events). */
  registry: string;
  client: RegistryClient;
  /** The repository's name on the upstream. */
  repository: string;
}

export interface UpstreamsOptions {
  proxies: ProxyStore;
  /** Opens endpoints' sealed secrets. */
  dataKey: DataKey | undefined;
  /** Longest wait for the upstream's response headers, and longest silence in a body (ms). */
  timeoutMs: number;
  logger: Logger;
  /** How long a project lookup is kept (ms). */
  lookupTtlMs?: number;
}

interface Entry {
  at: number;
  row: Promise<ProxyUpstreamRow | undefined>;
}

export class Upstreams {
  readonly #o: UpstreamsOptions;
  readonly #lookups = new Map<string, Entry>();
  readonly #clients = new Map<number, { updatedAt: number; client: RegistryClient }>();

  constructor(options: UpstreamsOptions) {
    this.#o = options;
  }

  /** The upstream of `repository` when its project is a proxy cache, else undefined. */
  async of(repository: string): Promise<Upstream | undefined> {
    const slash = repository.indexOf("/");
    if (slash < 0) return undefined; // a repository directly at the root belongs to no project
    const project = repository.slice(0, slash);
    const row = await this.#row(project);
    if (!row) return undefined;
    return { project, registry: row.registryName, client: this.#client(row), repository: upstreamRepository(row.type, repository.slice(slash + 1)) };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map((c) => c.client.close().catch(() => undefined)));
    this.#clients.clear();
  }

  #row(project: string): Promise<ProxyUpstreamRow | undefined> {
    const now = Date.now();
    const hit = this.#lookups.get(project);
    if (hit && now - hit.at < (this.#o.lookupTtlMs ?? 5_000)) return hit.row;
    const row = this.#o.proxies.upstreamOf(project);
    if (this.#lookups.size > 10_000) this.#lookups.clear();
    this.#lookups.set(project, { at: now, row });
    row.catch(() => this.#lookups.delete(project));
    return row;
  }

  #client(row: ProxyUpstreamRow): RegistryClient {
    const known = this.#clients.get(row.registryId);
    if (known && known.updatedAt === row.updatedAt.getTime()) return known.client;
    if (known) void known.client.close().catch(() => undefined);
    let password = "";
    if (row.accessSecret) {
      if (!this.#o.dataKey) throw new Error(`registry ${row.registryName} has a stored secret but the registry has no data key`);
      password = this.#o.dataKey.open(row.accessSecret, SECRET_CONTEXTS.registryEndpoint(row.registryId));
    }
    const client = new RegistryClient({
      url: row.url,
      credential: row.accessKey || password ? { username: row.accessKey, password } : undefined,
      insecure: row.insecure,
      caCertificate: row.caCertificate ?? undefined,
      userAgent: "berth-proxy-cache",
      // A 429 is answered at once (the cached copy, or an error): a puller does not wait out Retry-After.
      maxThrottledAttempts: 0,
      headersTimeoutMs: this.#o.timeoutMs,
      bodyTimeoutMs: this.#o.timeoutMs,
    });
    this.#clients.set(row.registryId, { updatedAt: row.updatedAt.getTime(), client });
    return client;
  }
}
