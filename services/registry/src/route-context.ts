import type { Request, Response } from "express";
import type { RepositoryName } from "@berth/oci";
import type { Grant } from "./auth/authorizer.js";

/** What a route handler gets: the request, a validated repository name and the caller's grant. */
export interface RouteContext {
  req: Request;
  res: Response;
  name: RepositoryName;
  grant: Grant;
}

/** The `/v2/<name>` prefix of Location headers. */
export function repoPath(name: string): string {
  return `/v2/${name}`;
}
