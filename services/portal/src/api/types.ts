// The shapes Berth shares with Harbor, from Harbor's swagger (api/harbor-swagger.yaml, turned into
// harbor.gen.ts by `pnpm run gen:api` at every build): the portal's types are checked against it.
import type { definitions } from "./harbor.gen";

type Defs = definitions;
export type Project = Defs["Project"];
export type ProjectReq = Defs["ProjectReq"];
export type ProjectSummary = Defs["ProjectSummary"];
export type Repository = Defs["Repository"];
export type Artifact = Defs["Artifact"];
export type Tag = Defs["Tag"];
export type Reference = Defs["Reference"];
export type Platform = Defs["Platform"];
export type ProjectMember = Defs["ProjectMemberEntity"];
export type Robot = Defs["Robot"];
export type RobotCreated = Defs["RobotCreated"];
export type RobotCreate = Defs["RobotCreate"];
export type UserResp = Defs["UserResp"];
export type UserCreationReq = Defs["UserCreationReq"];
export type Registry = Defs["Registry"];
export type ReplicationPolicy = Defs["ReplicationPolicy"];
export type ReplicationExecution = Defs["ReplicationExecution"];
export type ReplicationTask = Defs["ReplicationTask"];
export type GCHistory = Defs["GCHistory"];
export type Schedule = Defs["Schedule"];
export type AuditLog = Defs["AuditLog"];
export type SystemInfo = Defs["GeneralInfo"];
export type Configurations = Defs["Configurations"];
export type ConfigurationsResponse = Defs["ConfigurationsResponse"];

/** Harbor's role ids (docs/roles.md). */
export const ROLES = { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 } as const;
