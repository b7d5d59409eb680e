/**
 * How many repositories a project holds. Deleting a project is refused (412) while this is above 0.
 *
 * REGISTRY-STORE INTEGRATION: core cannot count repositories until `@berth/registry-store`
 * exposes it; main.ts wires `noRepositoriesYet` until then. Replace it with the store's count of
 * repositories named `<project>/…` (and use it for `repo_count` in project views).
 */
export type RepositoryCounter = (projectId: number, projectName: string) => Promise<number>;

export const noRepositoriesYet: RepositoryCounter = async () => 0;
