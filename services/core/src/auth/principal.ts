import type { Response } from "express";
import type { AuditEntry } from "../audit/audit-store.js";
import type { RobotPermission } from "./permissions.js";

/**
 * An authenticated user; never carries the hash. `via` says how the request proved it.
 * `sysadmin` is the effective flag: the account's own, or membership of the identity provider's
 * admin group at this login (`adminRoleInAuth`). `groupIds` are the user groups (LDAP, OIDC) the
 * identity provider placed the user in at this login.
 */
export interface UserPrincipal {
  kind: "user";
  id: number;
  username: string;
  sysadmin: boolean;
  adminRoleInAuth?: boolean;
  groupIds?: readonly number[];
  via?: "basic" | "session";
}

/** An authenticated robot account: it may do exactly what its permissions say. */
export interface RobotPrincipal {
  kind: "robot";
  id: number;
  name: string;
  level: "system" | "project";
  projectId: number | null;
  permissions: RobotPermission[];
}

export type Principal = UserPrincipal | RobotPrincipal;

export function principalOf(res: Response): Principal | undefined {
  return res.locals["principal"] as Principal | undefined;
}

export function principalName(principal: Principal | undefined): string {
  if (!principal) return "anonymous";
  return principal.kind === "user" ? principal.username : principal.name;
}

/** The operator columns of an audit row for `principal`. */
export function auditActor(principal: Principal | undefined): Pick<AuditEntry, "operator" | "operatorType"> {
  if (!principal) return { operator: "anonymous", operatorType: "anonymous" };
  return principal.kind === "user" ? { operator: principal.username, operatorType: "user" } : { operator: principal.name, operatorType: "robot" };
}
