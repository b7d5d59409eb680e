/** Harbor's `scan_overview` of an artifact: per report MIME type, the status, severity, summary and times. */
import type { ScanReportRow } from "./scan-report-store.js";

/** Harbor's `NativeReportSummary`. */
export interface ReportSummaryView {
  report_id: string;
  scan_status: string;
  severity: string;
  duration: number;
  summary: { total: number; fixable: number; summary: Record<string, number> } | null;
  start_time: string;
  end_time: string;
  complete_percent: number;
  scanner: { name: string; vendor: string; version: string } | null;
}

/** Harbor's status words for scan reports. */
const STATUS: Record<string, string> = { Pending: "Pending", Running: "Running", Success: "Success", Error: "Error", Stopped: "Stopped" };

export function reportSummary(row: ScanReportRow): ReportSummaryView {
  const end = row.endTime ?? undefined;
  const report = row.report as { scanner?: { name: string; vendor: string; version: string } } | null;
  return {
    report_id: row.id,
    scan_status: STATUS[row.status] ?? row.status,
    severity: row.severity || (row.status === "Success" ? "None" : ""),
    duration: end ? Math.round((end.getTime() - row.startTime.getTime()) / 1000) : 0,
    summary: row.summary ? { total: row.summary.total, fixable: row.summary.fixable, summary: row.summary.summary as Record<string, number> } : null,
    start_time: row.startTime.toISOString(),
    end_time: end?.toISOString() ?? "",
    complete_percent: row.status === "Success" ? 100 : 0,
    scanner: report?.scanner ?? null,
  };
}

/** `{ <mime type>: summary }` for the reports of one artifact. */
export function scanOverview(rows: readonly ScanReportRow[]): Record<string, ReportSummaryView> {
  return Object.fromEntries(rows.map((r) => [r.mimeType, reportSummary(r)]));
}
