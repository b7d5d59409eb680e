import type { Project } from "@berth/db";
import { highestRole } from "../auth/permissions.js";

/** Harbor's `Project` JSON. `metadata.public` is the string "true"/"false", as Harbor sends it. */
export interface ProjectView {
  project_id: number;
  owner_id: number;
  name: string;
  owner_name: string;
  creation_time: string;
  update_time: string;
  deleted: boolean;
  togglable: boolean;
  repo_count: number;
  current_user_role_id: number;
  current_user_role_ids: number[];
  metadata: Record<string, string>;
  /** The registry endpoint a proxy cache project pulls through (absent for ordinary projects). */
  registry_id?: number;
}

/** `roleIds`: the caller's roles in the project, their own and their groups'; the highest is `current_user_role_id`. */
export function projectView(p: Project, extra: { ownerName: string; repoCount: number; roleIds?: readonly number[] }): ProjectView {
  const metadata = { ...(p.metadata as Record<string, string>), public: String(p.public) };
  return {
    project_id: p.id,
    owner_id: p.ownerId,
    name: p.name,
    owner_name: extra.ownerName,
    creation_time: p.createdAt.toISOString(),
    update_time: p.updatedAt.toISOString(),
    deleted: false,
    togglable: true,
    repo_count: extra.repoCount,
    current_user_role_id: highestRole(extra.roleIds ?? []) ?? 0,
    current_user_role_ids: [...new Set(extra.roleIds ?? [])].sort((a, b) => a - b),
    metadata,
    ...(p.registryId !== null && { registry_id: p.registryId }),
  };
}
