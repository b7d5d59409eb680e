/**
 * Destination names (Harbor's `dest_namespace` + `dest_namespace_replace_count`): with no
 * namespace a repository keeps its name; `-1` (Harbor's legacy default) puts the last path
 * component under the namespace (`a/b/c` → `ns/c`); `n ≥ 0` replaces the first `n` components
 * with the namespace (`0`: prefix, `a/b/c` → `ns/a/b/c`; `1`: `ns/b/c`). The last component is
 * never replaced.
 */

/** A repository name that cannot be rewritten as asked. */
export class NamespaceRewriteError extends Error {
  override name = "NamespaceRewriteError";
}

export function rewriteRepository(repository: string, namespace: string, replaceCount: number): string {
  if (namespace === "") return repository;
  const parts = repository.split("/");
  if (replaceCount < 0) return `${namespace}/${parts[parts.length - 1]}`;
  if (replaceCount > parts.length - 1) {
    throw new NamespaceRewriteError(
      `${repository} has ${parts.length - 1} path component(s) before its name, fewer than dest_namespace_replace_count ${replaceCount}`,
    );
  }
  return [namespace, ...parts.slice(replaceCount)].join("/");
}

/**
 * The upstream name of `repository` (the part below the proxy project's name) on an endpoint of
 * `type`: Docker Hub's official images live under `library/`; other registries keep the name.
 */
export function upstreamRepository(type: string, repository: string): string {
  return type === "docker-hub" ? dockerHubName(repository) : repository;
}

/** Docker Hub's names: an official image `alpine` is `library/alpine`. */
export function dockerHubName(repository: string): string {
  return repository.includes("/") ? repository : `library/${repository}`;
}
