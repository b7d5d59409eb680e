// What the signed-in user may do in a project, to hide buttons that would only earn a 403 (the API
// decides anyway). Harbor's role matrix (docs/roles.md): admins and maintainers delete and manage
// robots; only project admins manage members; developers push and tag.
import { useQuery } from "@tanstack/react-query";
import { json } from "../../api/client.js";
import type { Project } from "../../api/types.js";
import { ROLES } from "../../api/types.js";

export interface ProjectRights {
  deleteArtifacts: boolean;
  tag: boolean;
  manageMembers: boolean;
  manageRobots: boolean;
  scan: boolean;
  /** Settings and webhooks: project admins; webhook history: and maintainers; retention: and developers (who may also read it). */
  manageProject: boolean;
  readWebhooks: boolean;
  manageRetention: boolean;
  manageImmutability: boolean;
  manageLabels: boolean;
}

export function rightsIn(project: Project | undefined, sysadmin: boolean): ProjectRights {
  const roles = new Set<number>([...((project as { current_user_role_ids?: number[] } | undefined)?.current_user_role_ids ?? []), project?.current_user_role_id ?? 0]);
  const has = (...ids: number[]) => sysadmin || ids.some((id) => roles.has(id));
  return {
    deleteArtifacts: has(ROLES.projectAdmin, ROLES.maintainer),
    tag: has(ROLES.projectAdmin, ROLES.maintainer, ROLES.developer),
    manageMembers: has(ROLES.projectAdmin),
    manageRobots: has(ROLES.projectAdmin, ROLES.maintainer),
    scan: has(ROLES.projectAdmin, ROLES.maintainer),
    manageProject: has(ROLES.projectAdmin),
    readWebhooks: has(ROLES.projectAdmin, ROLES.maintainer),
    manageRetention: has(ROLES.projectAdmin, ROLES.maintainer, ROLES.developer),
    manageImmutability: has(ROLES.projectAdmin, ROLES.maintainer),
    manageLabels: has(ROLES.projectAdmin, ROLES.maintainer),
  };
}

export function useProject(name: string) {
  return useQuery({ queryKey: ["project", name], queryFn: () => json<Project>(`/projects/${encodeURIComponent(name)}`, { headers: { "X-Is-Resource-Name": "true" } }) });
}
