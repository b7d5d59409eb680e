/**
 * Registry endpoints (`registries`): every write comes through here. The access secret is sealed
 * with the data key (bound to the row's id) before it is stored and is never part of a view; the
 * replication engine opens it with the same key (`SECRET_CONTEXTS.registryEndpoint`).
 */
import { isUniqueViolation, type Prisma, type PrismaClient, type RegistryEndpoint } from "@berth/db";
import { SECRET_CONTEXTS, type DataKey } from "@berth/secrets";
import { AuditStore, type Actor } from "../audit/audit-store.js";
import { ConflictError, NotFoundError, PreconditionFailedError } from "../errors.js";
import { orderBy, textFilter, type ListOrder, type ListPage, type Paging, type TextMatch } from "../listing.js";

/** An endpoint as created or replaced (`accessSecret` undefined on update: keep the stored one). */
export interface EndpointInput {
  name: string;
  description: string;
  type: string;
  url: string;
  insecure: boolean;
  caCertificate: string | null;
  credentialType: string;
  accessKey: string;
  accessSecret: string | undefined;
  requestsPerSecond: number;
  maxConcurrency: number;
}

/** What an endpoint is reached with, its secret opened (for ping, never for a view). */
export interface EndpointConnection {
  type: string;
  url: string;
  insecure: boolean;
  caCertificate: string | null;
  credential: { username: string; password: string } | undefined;
}

export type EndpointSortField = "id" | "name" | "createdAt" | "updatedAt";

export class EndpointStore {
  constructor(
    private readonly db: PrismaClient,
    private readonly key: DataKey,
  ) {}

  async list(name: TextMatch | undefined, page: Paging, sort?: ListOrder<EndpointSortField>): Promise<ListPage<RegistryEndpoint>> {
    const where: Prisma.RegistryEndpointWhereInput = name ? { name: textFilter(name) } : {};
    const [total, items] = await this.db.$transaction([
      this.db.registryEndpoint.count({ where }),
      this.db.registryEndpoint.findMany({ where, orderBy: orderBy(sort, { id: "asc" }), skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async get(id: number): Promise<RegistryEndpoint> {
    const row = await this.db.registryEndpoint.findUnique({ where: { id } });
    if (!row) throw new NotFoundError(`registry ${id} not found`);
    return row;
  }

  /** Endpoints by id (for policy views). */
  async byIds(ids: readonly number[]): Promise<Map<number, RegistryEndpoint>> {
    const rows = ids.length ? await this.db.registryEndpoint.findMany({ where: { id: { in: [...ids] } } }) : [];
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** How to reach `row`, with its secret opened. */
  connection(row: RegistryEndpoint): EndpointConnection {
    const secret = row.accessSecret ? this.key.open(row.accessSecret, SECRET_CONTEXTS.registryEndpoint(row.id)) : "";
    return {
      type: row.type,
      url: row.url,
      insecure: row.insecure,
      caCertificate: row.caCertificate,
      credential: row.accessKey || secret ? { username: row.accessKey, password: secret } : undefined,
    };
  }

  async create(input: EndpointInput, actor: Actor): Promise<RegistryEndpoint> {
    return this.#conflict(input.name, () =>
      this.db.$transaction(async (tx) => {
        const { accessSecret, ...fields } = input;
        const row = await tx.registryEndpoint.create({ data: fields });
        const sealed = accessSecret ? this.key.seal(accessSecret, SECRET_CONTEXTS.registryEndpoint(row.id)) : "";
        const saved = await tx.registryEndpoint.update({ where: { id: row.id }, data: { accessSecret: sealed } });
        await AuditStore.write(tx, { ...actor, resource: `registry/${input.name}`, resourceType: "registry", operation: "create" });
        return saved;
      }),
    );
  }

  async update(row: RegistryEndpoint, input: EndpointInput, actor: Actor): Promise<void> {
    const { accessSecret, ...fields } = input;
    const sealed = accessSecret === undefined ? row.accessSecret : accessSecret ? this.key.seal(accessSecret, SECRET_CONTEXTS.registryEndpoint(row.id)) : "";
    await this.#conflict(input.name, () =>
      this.db.$transaction(async (tx) => {
        await tx.registryEndpoint.update({ where: { id: row.id }, data: { ...fields, accessSecret: sealed } });
        await AuditStore.write(tx, { ...actor, resource: `registry/${input.name}`, resourceType: "registry", operation: "update" });
      }),
    );
  }

  /** Deletes an endpoint no policy and no proxy cache project uses (Harbor answers 412 otherwise). */
  async delete(row: RegistryEndpoint, actor: Actor): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const users = await tx.replicationPolicy.findMany({ where: { OR: [{ srcRegistryId: row.id }, { destRegistryId: row.id }] }, select: { name: true }, take: 5 });
      if (users.length) throw new PreconditionFailedError(`registry ${row.name} is used by replication policies: ${users.map((u) => u.name).join(", ")}`);
      const proxies = await tx.project.findMany({ where: { registryId: row.id }, select: { name: true }, take: 5 });
      if (proxies.length) throw new PreconditionFailedError(`registry ${row.name} is used by proxy cache projects: ${proxies.map((p) => p.name).join(", ")}`);
      await tx.registryEndpoint.delete({ where: { id: row.id } });
      await AuditStore.write(tx, { ...actor, resource: `registry/${row.name}`, resourceType: "registry", operation: "delete" });
    });
  }

  async #conflict<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a registry named ${name} already exists`);
      throw err;
    }
  }
}
