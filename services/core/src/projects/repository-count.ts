import type { RegistryStore } from "@berth/registry-store";

/**
 * How many repositories a project holds. Deleting a project is refused (412) while this is above
 * 0; `repo_count` of project views uses it too.
 */
export type RepositoryCounter = (projectId: number, projectName: string) => Promise<number>;

/** The registry's count of repositories named `<project>/…` (registry-store's metadata). */
export function registryRepositoryCounter(registry: RegistryStore): RepositoryCounter {
  return (_projectId, projectName) => registry.artifacts.countRepositories(projectName);
}
