import { writeAuditLog, type AuditEntry } from "@berth/audit";
import type { Prisma, PrismaClient } from "@berth/db";
import { orderBy, textFilter, type ListPage, type Paging, type ListOrder, type TextMatch } from "../listing.js";

export type { AuditEntry, OperatorType } from "@berth/audit";

/** Who did something, as an audit row names them. */
export type Actor = Pick<AuditEntry, "operator" | "operatorType">;

/** Harbor's `AuditLog`. */
export interface AuditLogView {
  id: number;
  username: string;
  operator_type: string;
  resource: string;
  resource_type: string;
  operation: string;
  result: string;
  source: string;
  project_id: number | null;
  detail: unknown;
  op_time: string;
}

/** Which audit rows a list shows. */
export interface AuditFilter {
  operation?: TextMatch | undefined;
  resource?: TextMatch | undefined;
  resourceType?: TextMatch | undefined;
  operator?: TextMatch | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  projectId?: number | undefined;
}

/** Fields audit rows can be sorted by (newest first by default). */
export type AuditSortField = "opTime" | "operation" | "resource" | "resourceType" | "operator";

type Tx = Prisma.TransactionClient;

/** The audit log (`audit_logs`): every write comes through here. */
export class AuditStore {
  constructor(private readonly db: PrismaClient) {}

  /** Writes `entry` inside the caller's transaction `tx`, so the change and its row commit together. */
  static write(tx: Tx, entry: AuditEntry): Promise<void> {
    return writeAuditLog(tx, entry);
  }

  /** Writes `entry` in its own transaction. */
  record(entry: AuditEntry): Promise<void> {
    return AuditStore.write(this.db, entry);
  }

  async list(filter: AuditFilter, page: Paging, sort?: ListOrder<AuditSortField>): Promise<ListPage<AuditLogView>> {
    const where: Prisma.AuditLogWhereInput = {
      ...(filter.operation && { operation: textFilter(filter.operation) }),
      ...(filter.resource && { resource: textFilter(filter.resource) }),
      ...(filter.resourceType && { resourceType: textFilter(filter.resourceType) }),
      ...(filter.operator && { operator: textFilter(filter.operator) }),
      ...((filter.from || filter.to) && { opTime: { ...(filter.from && { gte: filter.from }), ...(filter.to && { lte: filter.to }) } }),
      ...(filter.projectId !== undefined && { projectId: filter.projectId }),
    };
    const order = sort?.length ? orderBy(sort, { id: "desc" }) : [{ opTime: "desc" as const }, { id: "desc" as const }];
    const [total, rows] = await this.db.$transaction([
      this.db.auditLog.count({ where }),
      this.db.auditLog.findMany({ where, orderBy: order, skip: page.skip, take: page.take }),
    ]);
    return {
      total,
      items: rows.map((r) => ({
        id: Number(r.id),
        username: r.operator,
        operator_type: r.operatorType,
        resource: r.resource,
        resource_type: r.resourceType,
        operation: r.operation,
        result: r.result,
        source: r.source,
        project_id: r.projectId,
        detail: r.detail ?? undefined,
        op_time: r.opTime.toISOString(),
      })),
    };
  }

  /** Deletes rows older than `days`; returns how many. */
  async purgeOlderThan(days: number, now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - days * 86_400_000);
    const { count } = await this.db.auditLog.deleteMany({ where: { opTime: { lt: cutoff } } });
    return count;
  }
}
