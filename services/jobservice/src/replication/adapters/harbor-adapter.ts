/**
 * Berth and Harbor: repositories and artifacts (with their digests and tags) listed through
 * Harbor's API v2.0, content through `/v2/`; projects the destination lacks are created (private)
 * before a push; a tag is deleted alone through the API. Tested against Berth itself (no Harbor
 * runs in CI): docs/replication.md says so.
 */
import { RegistryHttpError } from "@berth/distribution-client";
import type { ArtifactRef, ListArtifactsOptions, ListHint } from "./adapter.js";
import { DistributionAdapter } from "./distribution-adapter.js";

const PAGE = 100;

export class HarborAdapter extends DistributionAdapter {
  constructor(
    client: ConstructorParameters<typeof DistributionAdapter>[0],
    label: string,
    endpointId: number,
    /** Projects known to exist on the endpoint (shared by its tasks: each check costs a password verification there). */
    private readonly knownProjects: Set<string> = new Set(),
  ) {
    super(client, label, endpointId);
  }

  override async listRepositories(_hint: ListHint, signal: AbortSignal): Promise<string[]> {
    const projects = await this.#all<{ name: string }>("/api/v2.0/projects", signal);
    const out: string[] = [];
    for (const p of projects) out.push(...(await this.#all<{ name: string }>(`/api/v2.0/projects/${encodeURIComponent(p.name)}/repositories`, signal)).map((r) => r.name));
    return out;
  }

  override async listArtifacts(repository: string, signal: AbortSignal, options: ListArtifactsOptions = {}): Promise<ArtifactRef[]> {
    const slash = repository.indexOf("/");
    const path = `/api/v2.0/projects/${encodeURIComponent(repository.slice(0, slash))}/repositories/${encodeURIComponent(encodeURIComponent(repository.slice(slash + 1)))}/artifacts`;
    const artifacts = await this.#all<{ digest: string; tags?: { name: string }[] | null; labels?: { name: string }[] | null }>(`${path}?with_tag=true${options.labels ? "&with_label=true" : ""}`, signal);
    return artifacts
      .filter((a) => a.tags?.length)
      .map((a) => ({ digest: a.digest, tags: a.tags!.map((t) => t.name), ...(options.labels && { labels: (a.labels ?? []).map((l) => l.name) }) }));
  }

  override async prepare(repositories: readonly string[], signal: AbortSignal): Promise<void> {
    for (const project of new Set(repositories.map((r) => r.split("/")[0]!))) {
      if (this.knownProjects.has(project)) continue;
      try {
        await this.client.getJson(`/api/v2.0/projects/${encodeURIComponent(project)}`, signal);
      } catch (err) {
        if (!(err instanceof RegistryHttpError) || err.status !== 404) throw err;
        // 409: created meanwhile by another task.
        await this.client.sendJson("POST", "/api/v2.0/projects", { project_name: project, metadata: { public: "false" } }, [201, 409], signal);
      }
      if (this.knownProjects.size > 10_000) this.knownProjects.clear();
      this.knownProjects.add(project);
    }
  }

  override async deleteTag(repository: string, tag: string, digest: string, signal: AbortSignal): Promise<string> {
    const slash = repository.indexOf("/");
    const path = `/api/v2.0/projects/${encodeURIComponent(repository.slice(0, slash))}/repositories/${encodeURIComponent(encodeURIComponent(repository.slice(slash + 1)))}/artifacts/${digest}/tags/${encodeURIComponent(tag)}`;
    const status = await this.client.sendJson("DELETE", path, undefined, [200, 404], signal);
    return status === 404 ? `tag ${tag} of ${digest} was not there` : `deleted tag ${tag}`;
  }

  async #all<T>(path: string, signal: AbortSignal): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page < 100_000; page++) {
      const sep = path.includes("?") ? "&" : "?";
      const { body, total } = await this.client.getJson<T[]>(`${path}${sep}page=${page}&page_size=${PAGE}`, signal);
      out.push(...body);
      if (body.length < PAGE || (total !== undefined && out.length >= total)) break;
    }
    return out;
  }
}
