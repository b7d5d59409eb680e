/**
 * `@berth/audit`: the one way a row gets into `audit_logs`. Core's `AuditStore` (API operations,
 * in the caller's transaction) and jobservice's fan-out (registry pushes, pulls and deletes) both
 * write through {@link writeAuditLog}.
 */
import type { Prisma, PrismaClient } from "@berth/db";
import { empty, foldCountRows, sql } from "@berth/db/sql";

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
 * Writes `entry` with `db` (a client, or a transaction's client to commit with the change), and
 * its +1 on the project's audit total (`audit_log_counts`), in one statement. An entry with an
 * `eventId` that is already recorded adds nothing (`ON CONFLICT DO NOTHING`).
 */
export async function writeAuditLog(db: PrismaClient | Prisma.TransactionClient, entry: AuditEntry): Promise<void> {
  const detail = entry.detail === undefined ? null : JSON.stringify(entry.detail);
  await db.$executeRaw`
    WITH a AS (
      INSERT INTO audit_logs (operator, operator_type, resource, resource_type, operation, result, detail, project_id, source, op_time, event_id)
      VALUES (${entry.operator}, ${entry.operatorType}, ${entry.resource}, ${entry.resourceType}, ${entry.operation}, ${entry.result ?? "success"},
              ${detail}::jsonb, ${entry.projectId ?? null}::int, ${entry.source ?? "api"}, coalesce(${entry.opTime ?? null}::timestamptz, now()), ${entry.eventId ?? null}::text)
      ON CONFLICT DO NOTHING
      RETURNING project_id)
    INSERT INTO audit_log_counts (project_id, delta) SELECT project_id, 1 FROM a`;
}

/**
 * Deletes the audit rows older than `cutoff` and takes them off their projects' totals, in one
 * statement; returns how many were deleted.
 */
export async function purgeAuditLogs(db: PrismaClient | Prisma.TransactionClient, cutoff: Date): Promise<number> {
  const rows = await db.$queryRaw<{ n: bigint }[]>`
    WITH gone AS (DELETE FROM audit_logs WHERE op_time < ${cutoff}::timestamptz RETURNING project_id),
    counted AS (INSERT INTO audit_log_counts (project_id, delta) SELECT project_id, -count(*) FROM gone GROUP BY project_id RETURNING delta)
    SELECT coalesce(-sum(delta), 0)::bigint AS n FROM counted`;
  return Number(rows[0]!.n);
}

/**
 * How many audit rows there are — all of them, or project `projectId`'s: the sum of the count
 * rows — and how to read the state of the list they count (read only when a deep page needs it):
 * a fingerprint of each project's count rows (the last id and how many), which changes with
 * every row written or purged and never comes back — an id is never reused, a fold replaces a
 * project's rows with a new one (or none, when they sum to 0), and under the same last id the
 * number of rows only grows (transactions that took earlier ids committing). So pages of one
 * state can share their boundaries (`PageBoundaries` of `@berth/db/sql`).
 */
export async function tallyAuditLogs(db: PrismaClient | Prisma.TransactionClient, projectId?: number): Promise<{ total: number; generation: () => Promise<string> }> {
  const only = projectId === undefined ? empty : sql`WHERE project_id = ${projectId}::int`;
  const rows = await db.$queryRaw<{ n: bigint }[]>`SELECT coalesce(sum(delta), 0)::bigint AS n FROM audit_log_counts ${only}`;
  const generation = async () => {
    const states = await db.$queryRaw<{ generation: string | null }[]>`
      SELECT md5(string_agg(coalesce(project_id::text, '-') || ':' || last || ':' || rows, ',' ORDER BY project_id)) AS generation
      FROM (SELECT project_id, max(id) AS last, count(*) AS rows FROM audit_log_counts ${only} GROUP BY project_id) k`;
    return states[0]!.generation ?? "";
  };
  return { total: Number(rows[0]!.n), generation };
}

/**
 * Folds the count rows of every project that has more than one into a single row (none when it
 * sums to 0), in one statement; concurrent folds are safe (a row is summed by the fold that
 * deleted it). Run it soon after writes (`Folder` of `@berth/db/sql`).
 */
export function foldAuditLogCounts(db: PrismaClient | Prisma.TransactionClient): Promise<void> {
  return foldCountRows(db, "audit_log_counts", "project_id");
}
