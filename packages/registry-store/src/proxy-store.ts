/**
 * Proxy cache projects, as the registry reads them: which registry endpoint a project caches
 * (`projects.registry_id`, written by core), and the `proxy.stale_served` event. The endpoint's
 * secret stays sealed here; the registry opens it with the data key.
 */
import type { SqlDatabase } from "@berth/db/sql";
import { writeEvent } from "./db.js";

/** The endpoint a proxy project pulls through, as stored (`accessSecret` sealed). */
export interface ProxyUpstreamRow {
  projectId: number;
  projectName: string;
  registryId: number;
  registryName: string;
  type: string;
  url: string;
  insecure: boolean;
  caCertificate: string | null;
  accessKey: string;
  accessSecret: string;
  /** Changes whenever the endpoint is edited (clients are rebuilt then). */
  updatedAt: Date;
}

/** What a stale answer records. */
export interface StaleServed {
  repository: string;
  digest: string;
  tag?: string | undefined;
  upstream: string;
  details: string;
}

export class ProxyStore {
  readonly #db: SqlDatabase;

  constructor(options: { db: SqlDatabase }) {
    this.#db = options.db;
  }

  /** The upstream of project `projectName`, or undefined when it is no proxy cache (or does not exist). */
  async upstreamOf(projectName: string): Promise<ProxyUpstreamRow | undefined> {
    const rows = await this.#db.$queryRaw<
      { project_id: number; project_name: string; registry_id: number; registry_name: string; type: string; url: string; insecure: boolean; ca_certificate: string | null; access_key: string; access_secret: string; updated_at: Date }[]
    >`
      SELECT p.id AS project_id, p.name AS project_name, r.id AS registry_id, r.name AS registry_name, r.type, r.url, r.insecure,
             r.ca_certificate, r.access_key, r.access_secret, r.updated_at
      FROM projects p JOIN registries r ON r.id = p.registry_id
      WHERE p.name = ${projectName}`;
    const r = rows[0];
    if (!r) return undefined;
    return {
      projectId: r.project_id,
      projectName: r.project_name,
      registryId: r.registry_id,
      registryName: r.registry_name,
      type: r.type,
      url: r.url,
      insecure: r.insecure,
      caCertificate: r.ca_certificate,
      accessKey: r.access_key,
      accessSecret: r.access_secret,
      updatedAt: r.updated_at,
    };
  }

  /** Records that a cached copy was served because the upstream failed (`proxy.stale_served`). */
  async recordStaleServed(event: StaleServed): Promise<void> {
    await writeEvent(this.#db, "proxy.stale_served", {
      repository: event.repository,
      digest: event.digest,
      ...(event.tag !== undefined && { tag: event.tag }),
      upstream: event.upstream,
      details: event.details,
    });
  }
}
