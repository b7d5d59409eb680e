/**
 * Docker Hub: its token realm comes from the challenge like any registry's; it has no catalog, so
 * the repositories are the ones the name filter spells out (`library/{alpine,busybox}`), official
 * images named `library/<name>`. A pattern with wildcards falls back to `_catalog`, which Docker
 * Hub refuses: the execution then fails saying to name the repositories.
 */
import { UnrecoverableError } from "@berth/queue";
import { dockerHubName } from "@berth/replication";
import type { ListHint } from "./adapter.js";
import { DistributionAdapter } from "./distribution-adapter.js";

export class DockerHubAdapter extends DistributionAdapter {
  override async listRepositories(hint: ListHint, signal: AbortSignal): Promise<string[]> {
    if (hint.literalNames) return hint.literalNames.map(dockerHubName);
    try {
      return await super.listRepositories(hint, signal);
    } catch (err) {
      throw new Error(`Docker Hub cannot list repositories (${(err as Error).message}); name them in the policy's name filter, e.g. library/{alpine,busybox}`, { cause: err });
    }
  }

  aliases(repository: string): string[] {
    return repository.startsWith("library/") ? [repository.slice("library/".length)] : [];
  }

  /** Docker Hub repositories are `namespace/name`, nothing else. */
  override async prepare(repositories: readonly string[]): Promise<void> {
    const wrong = repositories.filter((r) => r.split("/").length !== 2);
    if (wrong.length) {
      throw new UnrecoverableError(`Docker Hub repositories have exactly two path components (namespace/name): ${wrong.join(", ")}; set dest_namespace and dest_namespace_replace_count`);
    }
  }
}
