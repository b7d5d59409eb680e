/**
 * Artifacts and tags of a repository, through registry-store (which writes the registry's events
 * in its own transactions), with core's audit rows; copies go through `artifact-copy.ts`.
 */
import type { Readable } from "node:stream";
import type { Project } from "@berth/db";
import { parseManifestReference, type Digest } from "@berth/oci";
import { ManifestUnknownError, type ArtifactQuery, type ArtifactRecord, type RegistryStore } from "@berth/registry-store";
import { SBOM_ARTIFACT_TYPE } from "@berth/scanning";
import type { AuditStore } from "../audit/audit-store.js";
import { auditActor, principalName, type Principal } from "../auth/principal.js";
import { NotFoundError } from "../errors.js";
import type { ListPage } from "../listing.js";
import { refuseProxyCacheWrite } from "../projects/proxy-cache-check.js";
import { accessoryType } from "./accessory-view.js";
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

  /**
   * The accessories of `subject` (the manifests of its repository whose `subject` it is, oldest
   * first, or newest with `newestFirst`), with their Harbor type; `type` filters, `skip`/`take` page before records are read.
   */
  async accessories(subject: ArtifactRecord, query: { type?: string | undefined; skip: number; take: number; newestFirst?: boolean }): Promise<ListPage<{ record: ArtifactRecord; type: string }>> {
    const { index } = await this.registry.listings.referrers(subject.repositoryName, subject.digest);
    const typed = index.manifests.map((m) => ({ digest: m.digest, type: accessoryType(m.artifactType) })).filter((m) => query.type === undefined || m.type === query.type);
    if (query.newestFirst) typed.reverse();
    const items: { record: ArtifactRecord; type: string }[] = [];
    for (const m of typed.slice(query.skip, query.skip + query.take)) {
      try {
        items.push({ record: await this.get(subject.repositoryName, m.digest), type: m.type });
      } catch (err) {
        if (!(err instanceof ManifestUnknownError)) throw err; // deleted since the listing
      }
    }
    return { total: typed.length, items };
  }

  /**
   * The SBOM document of `reference`: an SBOM accessory's own, or the newest SBOM attached to the
   * artifact `reference` names. Its media type (SPDX or CycloneDX JSON) and a stream of its bytes.
   */
  async sbom(repository: string, reference: string): Promise<{ mediaType: string; size: number; stream: Readable }> {
    const artifact = await this.get(repository, reference);
    let sbom = artifact;
    if (artifact.artifactType !== SBOM_ARTIFACT_TYPE) {
      const { index } = await this.registry.listings.referrers(repository, artifact.digest, SBOM_ARTIFACT_TYPE);
      const newest = index.manifests.at(-1);
      if (!newest) throw new NotFoundError(`${repository}@${artifact.digest} has no SBOM: scan it with scan_type "sbom"`);
      sbom = await this.get(repository, newest.digest);
    }
    const layer = (sbom.manifest as { layers?: { mediaType?: string; digest?: string; size?: number }[] }).layers?.[0];
    if (!layer?.digest) throw new NotFoundError(`the SBOM ${sbom.digest} holds no document`);
    return { mediaType: layer.mediaType ?? "application/json", size: layer.size ?? 0, stream: await this.registry.blobs.open(layer.digest as Digest) };
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
