import { Anchor, Badge, Breadcrumbs, Group, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router-dom";
import { artifactsPath, json, page } from "../../api/client.js";
import { useWrite } from "../../api/queries.js";
import type { Artifact } from "../../api/types.js";
import { useCurrentUser } from "../../app/session.js";
import { ConfirmDelete, CopyText, EmptyState, ErrorAlert, Pager } from "../../components/feedback.js";
import { formatBytes, formatTime, shortDigest } from "../../components/format.js";
import { artifactQuery, LabelFilter } from "./label-filter.js";
import { PullCommand } from "./pull-command.js";
import { ScanSummary } from "./scan-summary.js";
import type { ScanOverview } from "../../api/admin-queries.js";
import { rightsIn, useProject } from "./roles.js";

const PAGE_SIZE = 20;

export function RepositoryPage() {
  const { t } = useTranslation();
  const { project = "", repository = "" } = useParams();
  const sysadmin = useCurrentUser().data?.sysadmin_flag === true;
  const projectData = useProject(project).data;
  const rights = rightsIn(projectData, sysadmin);
  const [search, setSearch] = useState("");
  const [tag] = useDebouncedValue(search, 250);
  const [pageNo, setPage] = useState(1);
  const [labelId, setLabelId] = useState<string | null>(null);
  const base = artifactsPath(project, repository);
  const key = ["artifacts", project, repository];
  const artifacts = useQuery({
    queryKey: [...key, { tag, labelId, pageNo }],
    queryFn: () => page<Artifact & { scan_overview?: ScanOverview | null }>(base, { q: artifactQuery(tag, labelId), page: pageNo, page_size: PAGE_SIZE, with_tag: true, with_scan_overview: true }),
    placeholderData: keepPreviousData,
  });
  const remove = useWrite((digest: string) => json(`${base}/${digest}`, { method: "DELETE" }), [key]);
  const full = `${project}/${repository}`;
  return (
    <Stack>
      <Breadcrumbs>
        <Anchor component={Link} to="/projects">
          {t("nav.projects")}
        </Anchor>
        <Anchor component={Link} to={`/projects/${project}/repositories`}>
          {project}
        </Anchor>
        <Text>{repository}</Text>
      </Breadcrumbs>
      <Title order={1} size="h2">
        {full}
      </Title>
      <Group align="end">
        <TextInput label={t("artifacts.filter")} value={search} onChange={(e) => { setSearch(e.currentTarget.value); setPage(1); }} w={260} />
        <LabelFilter projectId={projectData?.project_id} value={labelId} onChange={(id) => { setLabelId(id); setPage(1); }} />
      </Group>
      <ErrorAlert error={artifacts.error} />
      {artifacts.data && artifacts.data.items.length === 0 ? (
        <EmptyState>{t("artifacts.empty")}</EmptyState>
      ) : (
        <Table striped highlightOnHover data-testid="artifact-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("artifacts.digest")}</Table.Th>
              <Table.Th>{t("artifacts.tags")}</Table.Th>
              <Table.Th>{t("artifacts.size")}</Table.Th>
              <Table.Th>{t("artifacts.pushed")}</Table.Th>
              <Table.Th>{t("artifacts.pulled")}</Table.Th>
              <Table.Th>{t("vulns.title")}</Table.Th>
              <Table.Th>{t("artifacts.pull")}</Table.Th>
              {rights.deleteArtifacts && <Table.Th>{t("common.actions")}</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {artifacts.data?.items.map((a) => (
              <Table.Tr key={a.digest}>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Anchor component={Link} to={`/projects/${project}/repositories/${encodeURIComponent(repository)}/artifacts/${a.digest}`} className="berth-mono">
                      {shortDigest(a.digest)}
                    </Anchor>
                    <CopyText value={a.digest ?? ""} label={t("artifacts.digest")} />
                    {a.references && a.references.length > 0 && <Badge variant="outline" size="sm">index</Badge>}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {(a.tags ?? []).map((tg) => (
                      <Badge key={tg.name} variant="light" tt="none">
                        {tg.name}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>{formatBytes(a.size)}</Table.Td>
                <Table.Td>{formatTime(a.push_time)}</Table.Td>
                <Table.Td>{formatTime(a.pull_time, t("common.never"))}</Table.Td>
                <Table.Td>
                  <ScanSummary overview={a.scan_overview} />
                </Table.Td>
                <Table.Td>
                  <PullCommand repository={full} reference={a.tags?.[0]?.name ?? a.digest ?? ""} compact />
                </Table.Td>
                {rights.deleteArtifacts && (
                  <Table.Td>
                    <ConfirmDelete name={`${full}@${shortDigest(a.digest)}`} onConfirm={() => remove.mutateAsync(a.digest!)} />
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {artifacts.data && <Pager page={pageNo} pageSize={PAGE_SIZE} total={artifacts.data.total} onChange={setPage} />}
    </Stack>
  );
}
