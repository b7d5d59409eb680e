/**
 * `@berth/audit`: the one way a row gets into `audit_logs`. Core's `AuditStore` (API operations,
 * in the caller's transaction) and jobservice's fan-out (registry pushes, pulls and deletes) both
 * write through {@link writeAuditLog}.
 */
import type { Prisma, PrismaClient } from "@berth/db";

/** Who performed an audited operation. */
export type OperatorType = "user" | "robot" | "anonymous" | "system";

/** Every robot account's login name starts with this (Harbor's default `robot$`); no user's can. */
export const ROBOT_NAME_PREFIX = "robot$";

/** The operator type of a token subject or login name (empty or absent: anonymous). */
export function operatorTypeOf(name: string | undefined): Exclude<OperatorType, "system"> {
  if (!name) return "anonymous";
  return name.startsWith(ROBOT_NAME_PREFIX) ? "robot" : "user";
}

/** One audited operation. `resource` names the thing (`library/app:1.0`, `project:foo`). */
export interface AuditEntry {
  operator: string;
  operatorType: OperatorType;
  resource: string;
  resourceType: string;
  operation: string;
  result?: "success" | "failure";
  detail?: Prisma.InputJsonValue;
  projectId?: number | null;
  source?: "api" | "registry";
  /** When it happened (default: now). */
  opTime?: Date;
  /** The outbox event this entry records: an entry per event, however often it is written. */
  eventId?: string;
}

/**
 * Writes `entry` with `db` (a client, or a transaction's client to commit with the change). An
 * entry with an `eventId` that is already recorded adds nothing (`ON CONFLICT DO NOTHING`).
 */
export async function writeAuditLog(db: PrismaClient | Prisma.TransactionClient, entry: AuditEntry): Promise<void> {
  await db.auditLog.createMany({
    skipDuplicates: true,
    data: {
      operator: entry.operator,
      operatorType: entry.operatorType,
      resource: entry.resource,
      resourceType: entry.resourceType,
      operation: entry.operation,
      result: entry.result ?? "success",
      ...(entry.detail !== undefined ? { detail: entry.detail } : {}),
      projectId: entry.projectId ?? null,
      source: entry.source ?? "api",
      ...(entry.opTime ? { opTime: entry.opTime } : {}),
      ...(entry.eventId !== undefined ? { eventId: entry.eventId } : {}),
    },
  });
}
