/** Repositories of a project, through registry-store (the registry's metadata), with core's audit rows. */
import type { Project } from "@berth/db";
import type { ListOrder, RegistryStore, RepositoryOrderField, RepositoryRecord } from "@berth/registry-store";
import type { AuditStore } from "../audit/audit-store.js";
import { auditActor, principalName, type Principal } from "../auth/principal.js";
import { NotFoundError } from "../errors.js";
import type { ListPage, Paging } from "../listing.js";

export class RepositoryService {
  constructor(
    private readonly registry: RegistryStore,
    private readonly audit: AuditStore,
  ) {}

  list(project: Project, options: { name?: { kind: "exact" | "fuzzy"; value: string } | undefined; order?: ListOrder<RepositoryOrderField> }, page: Paging): Promise<ListPage<RepositoryRecord>> {
    return this.registry.artifacts.listRepositories(project.name, { ...(options.name && { name: options.name }), ...(options.order && { order: options.order }), skip: page.skip, take: page.take });
  }

  /** Repository `name` (`<project>/<rest>`). */
  async get(name: string): Promise<RepositoryRecord> {
    const repo = await this.registry.artifacts.getRepository(name);
    if (!repo) throw new NotFoundError(`repository ${name} not found`);
    return repo;
  }

  /** Deletes repository `name` with its artifacts and tags (registry-store's events), then audits it. */
  async delete(project: Project, name: string, principal: Principal | undefined): Promise<void> {
    const result = await this.registry.artifacts.deleteRepository(name, { name: principalName(principal) });
    await this.audit.record({ ...auditActor(principal), resource: name, resourceType: "repository", operation: "delete", projectId: project.id, detail: result });
  }
}
