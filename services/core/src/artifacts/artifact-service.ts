/**
 * Artifacts and tags of a repository, through registry-store (which writes the registry's events
 * in its own transactions), with core's audit rows; copies go through `artifact-copy.ts`.
 */
import type { Project } from "@berth/db";
import { parseManifestReference, type Digest } from "@berth/oci";
import type { ArtifactQuery, ArtifactRecord, RegistryStore } from "@berth/registry-store";
import type { AuditStore } from "../audit/audit-store.js";
import { auditActor, principalName, type Principal } from "../auth/principal.js";
import type { ListPage } from "../listing.js";
import { refuseProxyCacheWrite } from "../projects/proxy-cache-check.js";
import { copyArtifact } from "./artifact-copy.js";

export class ArtifactService {
  constructor(
    private readonly registry: RegistryStore,
    private readonly audit: AuditStore,
  ) {}

  list(repository: string, query: ArtifactQuery): Promise<ListPage<ArtifactRecord>> {
    return this.registry.artifacts.listArtifacts(repository, query);
  }

  /** Artifact `reference` (tag or digest) of `repository`. */
  get(repository: string, reference: string): Promise<ArtifactRecord> {
    return this.registry.artifacts.getArtifact(repository, reference);
  }

  /** Which of the artifact's tags an immutability rule protects. */
  async immutableTags(artifact: ArtifactRecord): Promise<Set<string>> {
    const out = new Set<string>();
    for (const t of artifact.tags) if (await this.registry.artifacts.immutableTag(artifact.repositoryName, [t.name])) out.add(t.name);
    return out;
  }

  /** Harbor's `extra_attrs` of an image (from its config), or `null`. */
  extraAttributes(artifact: ArtifactRecord): Promise<Record<string, unknown> | null> {
    return this.registry.artifacts.configAttributes(artifact);
  }

  /** Deletes the artifact `reference` names — by digest, so with all its tags; refused while an index lists it. */
  async delete(project: Project, repository: string, reference: string, principal: Principal | undefined): Promise<void> {
    const artifact = await this.get(repository, reference);
    await this.registry.manifests.delete(repository, parseManifestReference(artifact.digest), { name: principalName(principal) });
    await this.audit.record({
      ...auditActor(principal),
      resource: `${repository}@${artifact.digest}`,
      resourceType: "artifact",
      operation: "delete",
      projectId: project.id,
      detail: { tags: artifact.tags.map((t) => t.name) },
    });
  }

  /** Copies `source`'s `reference` into `repository` of `project` (Harbor's copy; refused into a proxy cache project); returns the digest. */
  async copy(project: Project, repository: string, source: { repository: string; reference: string; label: string }, principal: Principal | undefined): Promise<Digest> {
    refuseProxyCacheWrite(project, "copying an artifact into it");
    const digest = await copyArtifact(this.registry, source.repository, source.reference, repository, { name: principalName(principal) });
    await this.audit.record({
      ...auditActor(principal),
      resource: `${repository}@${digest}`,
      resourceType: "artifact",
      operation: "create",
      projectId: project.id,
      detail: { copied_from: source.label },
    });
    return digest;
  }

  /** Adds `tag` to the artifact `reference` names (refused in a proxy cache project). */
  async addTag(project: Project, repository: string, reference: string, tag: string, principal: Principal | undefined): Promise<void> {
    refuseProxyCacheWrite(project, "creating a tag");
    const artifact = await this.get(repository, reference);
    await this.registry.artifacts.createTag(repository, artifact.digest, tag, { name: principalName(principal) });
    await this.audit.record({ ...auditActor(principal), resource: `${repository}:${tag}`, resourceType: "tag", operation: "create", projectId: project.id, detail: { digest: artifact.digest } });
  }

  /** Removes `tag` from the artifact `reference` names. */
  async deleteTag(project: Project, repository: string, reference: string, tag: string, principal: Principal | undefined): Promise<void> {
    const artifact = await this.get(repository, reference);
    await this.registry.artifacts.deleteTag(repository, artifact.digest, tag, { name: principalName(principal) });
    await this.audit.record({ ...auditActor(principal), resource: `${repository}:${tag}`, resourceType: "tag", operation: "delete", projectId: project.id, detail: { digest: artifact.digest } });
  }
}
