// The artifact page's vulnerabilities: the scan's status, a severity bar, the findings (package,
// versions, fix, links) from the vulnerabilities addition, and the Scan button (polls until the
// scan ends). Also the SBOM the scanner attached: generate, view, download.
import { Anchor, Badge, Button, Card, Code, Group, Progress, ScrollArea, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, artifactsPath, json } from "../../api/client.js";
import { sbomDocument, SEVERITIES, SEVERITY_BADGE, SEVERITY_COLOR, useVulnerabilities, type ScanOverview, type Vulnerability } from "../../api/admin-queries.js";
import { useWrite } from "../../api/queries.js";
import type { Artifact } from "../../api/types.js";
import { EmptyState, ErrorAlert, Pager } from "../../components/feedback.js";
import { formatTime } from "../../components/format.js";
import { StatusBadge } from "../../components/status-badge.js";

const ACTIVE = new Set(["Pending", "Running", "Scheduled"]);
const PAGE_SIZE = 25;

interface Props {
  project: string;
  repository: string;
  digest: string;
  canScan: boolean;
}

function useOverview({ project, repository, digest }: Props) {
  return useQuery({
    queryKey: ["artifacts", project, repository, digest, "overview"],
    queryFn: async () => (await json<Artifact & { scan_overview?: ScanOverview | null }>(`${artifactsPath(project, repository)}/${digest}`, { query: { with_scan_overview: true, with_tag: false } })).scan_overview ?? null,
    refetchInterval: (q) => (Object.values(q.state.data ?? {}).some((r) => ACTIVE.has(r.scan_status ?? "")) ? 2000 : false),
  });
}

export function VulnerabilitiesCard(props: Props) {
  const { t } = useTranslation();
  const { project, repository, digest, canScan } = props;
  const overview = useOverview(props);
  // The overview holds a summary per report type (an SBOM's too): the vulnerability report's.
  const report = Object.entries(overview.data ?? {}).find(([mime]) => /vuln/i.test(mime))?.[1];
  const status = report?.scan_status;
  const vulns = useVulnerabilities(project, repository, digest, status);
  const scan = useWrite(() => json(`${artifactsPath(project, repository)}/${digest}/scan`, { method: "POST", body: { scan_type: "vulnerability" } }), [["artifacts", project, repository, digest]]);
  const [pageNo, setPage] = useState(1);
  const reportBody = Object.values(vulns.data ?? {})[0];
  const list: Vulnerability[] = [...(reportBody?.vulnerabilities ?? [])].sort((a, b) => SEVERITIES.indexOf(a.severity as never) - SEVERITIES.indexOf(b.severity as never) || a.id.localeCompare(b.id));
  const counts = report?.summary?.summary ?? {};
  const total = report?.summary?.total ?? list.length;
  const busy = scan.isPending || ACTIVE.has(status ?? "");
  return (
    <Card withBorder data-testid="vulnerabilities">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          {t("vulns.title")}
        </Title>
        <Group gap="xs">
          {status && (
            <Group gap={4}>
              <Text size="sm" c="dimmed">
                {t("vulns.status")}
              </Text>
              <StatusBadge status={status} />
            </Group>
          )}
          {canScan && (
            <Button size="xs" onClick={() => scan.mutate(undefined)} loading={busy}>
              {t("vulns.scan")}
            </Button>
          )}
        </Group>
      </Group>
      <ErrorAlert error={scan.error ?? overview.error ?? vulns.error} />
      {!report && <EmptyState>{t("vulns.notScanned")}</EmptyState>}
      {busy && <Text size="sm">{t("vulns.scanning")}</Text>}
      {status === "Success" && (
        <Stack gap="xs">
          <Text size="sm" data-testid="vuln-total">
            {t("vulns.total", { total, fixable: report?.summary?.fixable ?? list.filter((v) => v.fix_version).length })}
          </Text>
          {total > 0 && <SeverityBar counts={counts} total={total} />}
          {reportBody?.scanner && (
            <Text size="xs" c="dimmed">
              {t("vulns.scanner", { name: reportBody.scanner.name ?? "", version: reportBody.scanner.version ?? "" })} · {formatTime(reportBody.generated_at)}
            </Text>
          )}
          {list.length === 0 ? (
            <EmptyState>{t("vulns.none")}</EmptyState>
          ) : (
            <>
              <Table striped data-testid="vuln-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t("vulns.cve")}</Table.Th>
                    <Table.Th>{t("vulns.severity")}</Table.Th>
                    <Table.Th>{t("vulns.package")}</Table.Th>
                    <Table.Th>{t("vulns.version")}</Table.Th>
                    <Table.Th>{t("vulns.fixed")}</Table.Th>
                    <Table.Th>{t("vulns.links")}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.slice((pageNo - 1) * PAGE_SIZE, pageNo * PAGE_SIZE).map((v) => (
                    <Table.Tr key={`${v.id}|${v.package}|${v.version}`}>
                      <Table.Td className="berth-mono">{v.id}</Table.Td>
                      <Table.Td>
                        <Badge color={SEVERITY_BADGE[v.severity] ?? "gray"} variant="light">
                          {v.severity}
                        </Badge>
                      </Table.Td>
                      <Table.Td>{v.package}</Table.Td>
                      <Table.Td className="berth-mono">{v.version}</Table.Td>
                      <Table.Td className="berth-mono">{v.fix_version || <Text span c="dimmed" size="sm">{t("vulns.noFix")}</Text>}</Table.Td>
                      <Table.Td>
                        <Group gap={6}>
                          {(v.links ?? []).slice(0, 3).map((l, i) => (
                            <Anchor key={l} href={l} target="_blank" rel="noreferrer noopener" size="sm" aria-label={`${v.id} link ${i + 1}`}>
                              {new URL(l, "https://x.invalid").hostname || l}
                            </Anchor>
                          ))}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              <Pager page={pageNo} pageSize={PAGE_SIZE} total={list.length} onChange={setPage} />
            </>
          )}
        </Stack>
      )}
    </Card>
  );
}

/** Counts per severity as one stacked bar, each part named for screen readers, with a legend. */
function SeverityBar({ counts, total }: { counts: Record<string, number>; total: number }) {
  const parts = SEVERITIES.filter((s) => (counts[s] ?? 0) > 0);
  return (
    <Stack gap={4} data-testid="severity-bar">
      <Progress.Root size="lg" aria-hidden="true">
        {parts.map((s) => (
          <Progress.Section key={s} value={((counts[s] ?? 0) / total) * 100} color={SEVERITY_COLOR[s]!} />
        ))}
      </Progress.Root>
      <Group gap="xs">
        {parts.map((s) => (
          <Badge key={s} color={SEVERITY_BADGE[s]!} variant="light" tt="none">
            {s}: {counts[s]}
          </Badge>
        ))}
      </Group>
    </Stack>
  );
}

export function SbomCard(props: Props) {
  const { t } = useTranslation();
  const { project, repository, digest, canScan } = props;
  const [waiting, setWaiting] = useState(false);
  const [open, setOpen] = useState(false);
  const sbom = useQuery({
    queryKey: ["artifacts", project, repository, digest, "sbom"],
    queryFn: () => sbomDocument(project, repository, digest).catch((err: unknown) => (err instanceof ApiError && err.status === 404 ? null : Promise.reject(err))),
    refetchInterval: (q) => (waiting && !q.state.data ? 2000 : false),
  });
  const generate = useWrite(() => json(`${artifactsPath(project, repository)}/${digest}/scan`, { method: "POST", body: { scan_type: "sbom" } }), []);
  const doc = sbom.data;
  const generating = waiting && !doc;
  const parsed = doc ? (JSON.parse(doc) as { spdxVersion?: string; bomFormat?: string; specVersion?: string; packages?: unknown[]; components?: unknown[] }) : undefined;
  const format = parsed?.spdxVersion ?? (parsed?.bomFormat ? `${parsed.bomFormat} ${parsed.specVersion ?? ""}` : "");
  const packages = (parsed?.packages ?? parsed?.components ?? []).length;
  const fileName = `${repository.replaceAll("/", "_")}-${digest.slice(7, 19)}.${parsed?.spdxVersion ? "spdx" : "cdx"}.json`;
  return (
    <Card withBorder data-testid="sbom">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          {t("sbom.title")}
        </Title>
        {canScan && (
          <Button size="xs" variant="light" loading={generate.isPending || generating} onClick={() => generate.mutateAsync(undefined).then(() => setWaiting(true), () => undefined)}>
            {t("sbom.generate")}
          </Button>
        )}
      </Group>
      <ErrorAlert error={generate.error ?? sbom.error} />
      {sbom.data === null && <EmptyState>{t("sbom.none")}</EmptyState>}
      {doc && (
        <Stack gap="xs">
          <Group gap="xs">
            <Badge variant="light" tt="none" data-testid="sbom-format">
              {format}
            </Badge>
            <Text size="sm">{t("sbom.packages", { count: packages })}</Text>
            <Button size="xs" variant="default" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
              {t("sbom.view")}
            </Button>
            <Button size="xs" variant="default" onClick={() => download(doc, fileName)}>
              {t("sbom.download")}
            </Button>
          </Group>
          {open && (
            <ScrollArea h={360}>
              <Code block tabIndex={0} data-testid="sbom-document" aria-label={t("sbom.title")}>
                {JSON.stringify(parsed, null, 2)}
              </Code>
            </ScrollArea>
          )}
        </Stack>
      )}
    </Card>
  );
}

/** Saves `content` as a file named `name` (an object URL, revoked once the click is handled). */
function download(content: string, name: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
