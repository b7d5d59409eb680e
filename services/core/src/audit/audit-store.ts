import { writeAuditLog, type AuditEntry } from "@berth/audit";
import type { Prisma, PrismaClient } from "@berth/db";
import type { Paging } from "../http/paging.js";

export type { AuditEntry, OperatorType } from "@berth/audit";

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

  async list(where: Prisma.AuditLogWhereInput, page: Paging): Promise<{ total: number; items: AuditLogView[] }> {
    const [total, rows] = await this.db.$transaction([
      this.db.auditLog.count({ where }),
      this.db.auditLog.findMany({ where, orderBy: [{ opTime: "desc" }, { id: "desc" }], skip: page.skip, take: page.take }),
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
