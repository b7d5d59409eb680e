// An artifact list's vulnerabilities cell: the vulnerability report's overall severity and count
// (from `with_scan_overview`), its status while a scan runs, a dash when never scanned.
import { Badge, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { SEVERITY_BADGE, type ScanOverview } from "../../api/admin-queries.js";
import { StatusBadge } from "../../components/status-badge.js";

export function ScanSummary({ overview }: { overview: ScanOverview | null | undefined }) {
  const { t } = useTranslation();
  const report = Object.entries(overview ?? {}).find(([mime]) => /vuln/i.test(mime))?.[1];
  if (!report) return <Text c="dimmed">—</Text>;
  if (report.scan_status !== "Success") return <StatusBadge status={report.scan_status} />;
  const total = report.summary?.total ?? 0;
  return (
    <Badge variant="light" tt="none" color={total === 0 ? "teal" : (SEVERITY_BADGE[report.severity ?? ""] ?? "gray")}>
      {total === 0 ? t("vulns.clean") : `${report.severity} · ${total}`}
    </Badge>
  );
}
