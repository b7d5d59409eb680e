/** The project a request's path names (every `/projects/{…}/…` route resolves it here). */
import type { Project } from "@berth/db";
import type { Request } from "express";
import type { ProjectStore } from "./project-store.js";

/** `{project_name_or_id}`: a name when `X-Is-Resource-Name: true` or when it is not an integer, else an id (Harbor's rule). */
export function projectParam(projects: ProjectStore, req: Request, param = "project"): Promise<Project> {
  return projects.resolve(String(req.params[param]), req.get("X-Is-Resource-Name")?.toLowerCase() === "true");
}

/** `{project_name}`: always a name (repositories, artifacts and logs paths, as Harbor). */
export function projectByName(projects: ProjectStore, req: Request, param = "project"): Promise<Project> {
  return projects.resolve(String(req.params[param]), true);
}
