/**
 * Quotas: the limit is `projects.storage_limit` (also set by a project update), the usage is
 * registry-store's `project_quotas` row. A quota's id is its project's id.
 */
import type { Project } from "@berth/db";
import type { RegistryStore } from "@berth/registry-store";
import type { Actor } from "../audit/audit-store.js";
import type { ListOrder, ListPage, Paging } from "../listing.js";
import type { ProjectSortField, ProjectStore } from "../projects/project-store.js";
import type { UserStore } from "../users/user-store.js";

/** A project's quota: its limit (`project.storageLimit`, -1 for none), owner and bytes used. */
export interface QuotaRecord {
  project: Project;
  ownerName: string;
  used: number;
}

export class QuotaService {
  constructor(
    private readonly projects: ProjectStore,
    private readonly users: UserStore,
    private readonly registry: RegistryStore,
  ) {}

  /** Quotas of every project, or of the project `idOrName` names. */
  async list(idOrName: string | undefined, page: Paging, order?: ListOrder<ProjectSortField>): Promise<ListPage<QuotaRecord>> {
    const { total, items } = await this.projects.list({ idOrName }, page, order);
    return { total, items: await this.records(items) };
  }

  /** The quota of project `id`. */
  async get(id: number): Promise<QuotaRecord> {
    const [record] = await this.records([await this.projects.get(id, "quota")]);
    return record!;
  }

  /** Sets project `id`'s limit (-1: unlimited), audited with the project update. */
  async setLimit(id: number, storageLimit: bigint, actor: Actor): Promise<void> {
    await this.projects.update(await this.projects.get(id, "quota"), { storageLimit }, actor);
  }

  /** Bytes project `projectId` holds. */
  async used(projectId: number): Promise<number> {
    return (await this.registry.quotas.usage([projectId])).get(projectId) ?? 0;
  }

  private async records(projects: Project[]): Promise<QuotaRecord[]> {
    const [owners, usage] = await Promise.all([this.users.namesById(projects.map((p) => p.ownerId)), this.registry.quotas.usage(projects.map((p) => p.id))]);
    return projects.map((project) => ({ project, ownerName: owners.get(project.ownerId) ?? "", used: usage.get(project.id) ?? 0 }));
  }
}
