import { foldAuditLogCounts, purgeAuditLogs, tallyAuditLogs, writeAuditLog, type AuditEntry } from "@berth/audit";
import type { Prisma, PrismaClient } from "@berth/db";
import { boundaryIds, empty, Folder, fromBoundary, join, orderItems, PageBoundaries, pageWindow, raw, sql, type BoundaryStep, type Sql } from "@berth/db/sql";
import type { ListPage, Paging, ListOrder, TextMatch } from "../listing.js";

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
  /** Folds the count rows soon after a list read them (jobservice folds after its writes too). */
  readonly #folder: Folder;
  /** Of the unfiltered lists (all rows, a project's) newest first (page-boundaries.ts in @berth/db). */
  readonly #pages = new PageBoundaries<bigint>();

  /** `onFoldError` hears of a failed fold (nothing is lost: the next fold takes its rows). */
  constructor(
    private readonly db: PrismaClient,
    onFoldError?: (err: unknown) => void,
  ) {
    this.#folder = new Folder({ fold: () => foldAuditLogCounts(db), ...(onFoldError && { onError: onFoldError }) });
  }

  /** Writes `entry` inside the caller's transaction `tx`, so the change and its row commit together. */
  static write(tx: Tx, entry: AuditEntry): Promise<void> {
    return writeAuditLog(tx, entry);
  }

  /** Writes `entry` in its own transaction. */
  record(entry: AuditEntry): Promise<void> {
    return AuditStore.write(this.db, entry);
  }

  /**
   * A page of audit rows, newest first unless `sort` says otherwise. The total first — the
   * count rows of `@berth/audit` when only the project filters, else a count of the matches —
   * then the page's ids (an index-only range scan of `(op_time, id)` or `(project_id, op_time,
   * id)` in the default order, from the nearer end of the list or, for deep pages of an
   * unchanged unfiltered list by time, from the nearest page boundary), then only their rows.
   */
  async list(filter: AuditFilter, page: Paging, sort?: ListOrder<AuditSortField>): Promise<ListPage<AuditLogView>> {
    this.#folder.touched();
    const where = auditWhere(filter);
    const order = sort?.length ? sort : ([{ field: "opTime", direction: "desc" }] as const);
    const onlyProject = Object.entries(filter).every(([k, v]) => v === undefined || k === "projectId");
    const { total, generation } = onlyProject
      ? await tallyAuditLogs(this.db, filter.projectId)
      : { total: Number((await this.db.$queryRaw<{ n: bigint }[]>(sql`SELECT count(*)::bigint AS n FROM audit_logs a ${where}`))[0]!.n), generation: undefined };
    const window = pageWindow(total, page.skip, page.take);
    const boundaries: BoundaryStep<bigint> = async (every, count, from) => {
      const rows = from === undefined ? where : auditWhere(filter, [fromBoundary(order, AUDIT_COLUMNS, "audit_logs", "a", "a.id", from)]);
      const found = await this.db.$queryRaw<{ id: bigint }[]>(boundaryIds(sql`FROM audit_logs a ${rows}`, orderItems(order, AUDIT_COLUMNS, "a.id"), "a.id", every, count));
      return found.map((b) => b.id);
    };
    // Only the order by time has an index to seek in.
    const start =
      generation !== undefined && order.length === 1 && order[0]!.field === "opTime" && window.limit > 0
        ? await this.#pages.start(`${filter.projectId ?? "*"} ${order[0]!.direction}`, generation, { skip: page.skip, walk: window.offset, total }, boundaries)
        : undefined;
    const ids = start
      ? sql`SELECT a.id FROM audit_logs a ${auditWhere(filter, [fromBoundary(order, AUDIT_COLUMNS, "audit_logs", "a", "a.id", start.id)])}
            ORDER BY ${orderItems(order, AUDIT_COLUMNS, "a.id")} LIMIT ${window.limit} OFFSET ${start.skip}`
      : sql`SELECT a.id FROM audit_logs a ${where} ORDER BY ${orderItems(order, AUDIT_COLUMNS, "a.id", window.reversed)} LIMIT ${window.limit} OFFSET ${window.offset}`;
    const rows =
      window.limit === 0
        ? []
        : await this.db.$queryRaw<AuditRow[]>(sql`
            WITH page AS MATERIALIZED (${ids})
            SELECT a.id, a.operator, a.operator_type, a.resource, a.resource_type, a.operation, a.result, a.source, a.project_id, a.detail, a.op_time
            FROM audit_logs a WHERE a.id = ANY(ARRAY(SELECT id FROM page))
            ORDER BY ${orderItems(order, AUDIT_COLUMNS, "a.id")}`);
    return {
      total,
      items: rows.map((r) => ({
        id: Number(r.id),
        username: r.operator,
        operator_type: r.operator_type,
        resource: r.resource,
        resource_type: r.resource_type,
        operation: r.operation,
        result: r.result,
        source: r.source,
        project_id: r.project_id,
        detail: r.detail ?? undefined,
        op_time: r.op_time.toISOString(),
      })),
    };
  }

  /** Deletes rows older than `days`; returns how many. */
  async purgeOlderThan(days: number, now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - days * 86_400_000);
    return purgeAuditLogs(this.db, cutoff);
  }
}

interface AuditRow {
  id: bigint;
  operator: string;
  operator_type: string;
  resource: string;
  resource_type: string;
  operation: string;
  result: string;
  source: string;
  project_id: number | null;
  detail: unknown;
  op_time: Date;
}

const AUDIT_COLUMNS: Record<AuditSortField, string> = {
  opTime: "a.op_time",
  operation: "a.operation",
  resource: "a.resource",
  resourceType: "a.resource_type",
  operator: "a.operator",
};

function textCondition(column: string, match: TextMatch | undefined): Sql | undefined {
  if (match === undefined) return undefined;
  if ("exact" in match) return sql`${raw(column)} = ${match.exact}`;
  if ("contains" in match) return sql`strpos(${raw(column)}, ${match.contains}) > 0`;
  return sql`${raw(column)} = ANY(${match.anyOf}::text[])`;
}

/** `WHERE` the filter's conditions and `extra`, or nothing. */
function auditWhere(f: AuditFilter, extra: Sql[] = []): Sql {
  const parts = [
    textCondition("a.operation", f.operation),
    textCondition("a.resource", f.resource),
    textCondition("a.resource_type", f.resourceType),
    textCondition("a.operator", f.operator),
    f.from === undefined ? undefined : sql`a.op_time >= ${f.from}`,
    f.to === undefined ? undefined : sql`a.op_time <= ${f.to}`,
    f.projectId === undefined ? undefined : sql`a.project_id = ${f.projectId}::int`,
    ...extra,
  ].filter((p): p is Sql => p !== undefined);
  return parts.length === 0 ? empty : sql`WHERE ${join(parts, " AND ")}`;
}
