/**
 * Scan reports (`scan_reports`, Harbor's `scan_report`): one row per artifact digest, scanner
 * registration and report MIME type. Core creates and stops them, jobservice's scan job runs
 * them, the registry's pull policy reads them. Raw SQL over the narrow {@link SqlExecutor}, so the
 * registry (no Prisma) and core/jobservice (Prisma) share one store.
 */
import { raw, type SqlDatabase, type SqlExecutor } from "@berth/db/sql";
import type { CompactVulnerability, VulnerabilitySummary } from "./report-types.js";

export const SCAN_STATUSES = ["Pending", "Running", "Success", "Error", "Stopped"] as const;
export type ScanStatus = (typeof SCAN_STATUSES)[number];
const ACTIVE = ["Pending", "Running"];

/** A `scan_reports` row. */
export interface ScanReportRow {
  id: string;
  digest: string;
  repository: string;
  registrationUuid: string;
  mimeType: string;
  status: ScanStatus;
  statusMessage: string;
  trigger: string;
  executionId: bigint | null;
  severity: string;
  summary: VulnerabilitySummary | null;
  vulnerabilities: CompactVulnerability[] | null;
  report: unknown;
  log: string;
  startTime: Date;
  endTime: Date | null;
}

const COLUMNS = `id::text AS "id", digest, repository, registration_uuid::text AS "registrationUuid", mime_type AS "mimeType", status,
  status_message AS "statusMessage", trigger, execution_id AS "executionId", severity, summary, vulnerabilities, report, log,
  start_time AS "startTime", end_time AS "endTime"`;

/** What a new scan covers: one artifact, one scanner, the report types it asks for. */
export interface NewScan {
  digest: string;
  repository: string;
  registrationUuid: string;
  mimeTypes: readonly string[];
  trigger: "MANUAL" | "EVENT" | "SCHEDULE";
  executionId?: bigint | undefined;
}

/** The outcome a scan job records. */
export interface ScanOutcome {
  status: "Success" | "Error";
  message?: string;
  report?: unknown;
  severity?: string;
  summary?: VulnerabilitySummary;
  vulnerabilities?: CompactVulnerability[];
}

export class ScanReportStore {
  constructor(private readonly db: SqlDatabase) {}

  /**
   * Starts a scan: (re)sets one Pending row per MIME type, each with a fresh id. When any of them
   * is still Pending or Running nothing changes and `running` is true (one scan at a time).
   */
  async start(scan: NewScan, tx?: SqlExecutor): Promise<{ running: boolean; ids: string[] }> {
    const run = async (db: SqlExecutor) => {
      const active = await db.$queryRaw<{ id: string }[]>`
        SELECT id::text AS id FROM scan_reports
        WHERE digest = ${scan.digest} AND registration_uuid = ${scan.registrationUuid}::uuid AND status = ANY(${ACTIVE}) FOR UPDATE`;
      if (active.length > 0) return { running: true, ids: [] };
      const ids: string[] = [];
      for (const mime of scan.mimeTypes) {
        const rows = await db.$queryRaw<{ id: string }[]>`
          INSERT INTO scan_reports (id, digest, repository, registration_uuid, mime_type, status, trigger, execution_id, start_time, updated_at)
          VALUES (gen_random_uuid(), ${scan.digest}, ${scan.repository}, ${scan.registrationUuid}::uuid, ${mime}, 'Pending', ${scan.trigger}, ${scan.executionId ?? null}, now(), now())
          ON CONFLICT (digest, registration_uuid, mime_type) DO UPDATE SET
            id = gen_random_uuid(), repository = EXCLUDED.repository, status = 'Pending', status_message = '', trigger = EXCLUDED.trigger,
            execution_id = EXCLUDED.execution_id, severity = '', summary = NULL, vulnerabilities = NULL, report = NULL, log = '',
            start_time = now(), end_time = NULL, updated_at = now()
          RETURNING id::text AS id`;
        ids.push(rows[0]!.id);
      }
      return { running: false, ids };
    };
    return tx ? run(tx) : this.db.$transaction(run);
  }

  async get(id: string, tx?: SqlExecutor): Promise<ScanReportRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const rows = await (tx ?? this.db).$queryRaw<ScanReportRow[]>`SELECT ${raw(COLUMNS)} FROM scan_reports WHERE id = ${id}::uuid`;
    return rows[0];
  }

  /** Every report of `digest` (any scanner, any MIME type). */
  forDigest(digest: string): Promise<ScanReportRow[]> {
    return this.db.$queryRaw<ScanReportRow[]>`SELECT ${raw(COLUMNS)} FROM scan_reports WHERE digest = ${digest} ORDER BY mime_type`;
  }

  /** Reports of many digests from one scanner (artifact lists' `scan_overview`). */
  forDigests(digests: readonly string[], registrationUuid: string): Promise<ScanReportRow[]> {
    if (digests.length === 0) return Promise.resolve([]);
    return this.db.$queryRaw<ScanReportRow[]>`
      SELECT ${raw(COLUMNS)} FROM scan_reports WHERE digest = ANY(${[...digests]}) AND registration_uuid = ${registrationUuid}::uuid`;
  }

  /** Pending → Running (false when the report was stopped or replaced meanwhile). */
  async markRunning(id: string): Promise<boolean> {
    return (await this.db.$executeRaw`UPDATE scan_reports SET status = 'Running', updated_at = now() WHERE id = ${id}::uuid AND status = 'Pending'`) === 1;
  }

  /** Whether `id` still exists and is Pending or Running (a stop or a new scan ends it). */
  async isActive(id: string): Promise<boolean> {
    const rows = await this.db.$queryRaw<{ status: string }[]>`SELECT status FROM scan_reports WHERE id = ${id}::uuid`;
    return rows[0] !== undefined && ACTIVE.includes(rows[0].status);
  }

  /**
   * Records the outcome unless the report was stopped or replaced (returns whether it was
   * recorded); in `tx` when given, so that the outcome and its event commit together.
   */
  async finish(id: string, outcome: ScanOutcome, tx?: SqlExecutor): Promise<boolean> {
    const n = await (tx ?? this.db).$executeRaw`
      UPDATE scan_reports SET status = ${outcome.status}, status_message = ${(outcome.message ?? "").slice(0, 2000)},
        report = ${outcome.report === undefined ? null : JSON.stringify(outcome.report)}::jsonb,
        severity = ${outcome.severity ?? ""},
        summary = ${outcome.summary === undefined ? null : JSON.stringify(outcome.summary)}::jsonb,
        vulnerabilities = ${outcome.vulnerabilities === undefined ? null : JSON.stringify(outcome.vulnerabilities)}::jsonb,
        end_time = now(), updated_at = now()
      WHERE id = ${id}::uuid AND status = ANY(${ACTIVE})`;
    return n === 1;
  }

  /** Stops the active reports of `digest` from one scanner; returns the ids it stopped. */
  async stop(digest: string, registrationUuid: string, tx?: SqlExecutor): Promise<string[]> {
    const rows = await (tx ?? this.db).$queryRaw<{ id: string }[]>`
      UPDATE scan_reports SET status = 'Stopped', status_message = 'stopped by request', end_time = now(), updated_at = now()
      WHERE digest = ${digest} AND registration_uuid = ${registrationUuid}::uuid AND status = ANY(${ACTIVE})
      RETURNING id::text AS id`;
    return rows.map((r) => r.id);
  }

  /** Appends one timestamped line to the report's log. */
  async log(id: string, line: string): Promise<void> {
    const text = `${new Date().toISOString()} ${line}\n`;
    await this.db.$executeRaw`UPDATE scan_reports SET log = log || ${text} WHERE id = ${id}::uuid`;
  }

  /** Deletes the reports of digests no manifest has any more (after deletes/GC). */
  async forgetOrphans(): Promise<number> {
    return this.db.$executeRaw`DELETE FROM scan_reports r WHERE NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = r.digest)`;
  }
}
