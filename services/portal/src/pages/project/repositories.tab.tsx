import { Anchor, Code, Group, Table, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router-dom";
import { json, page, repoSegment } from "../../api/client.js";
import { useWrite } from "../../api/queries.js";
import type { Repository } from "../../api/types.js";
import { useRegistryHost } from "../../app/session.js";
import { ConfirmDelete, EmptyState, ErrorAlert, Pager } from "../../components/feedback.js";
import { formatTime } from "../../components/format.js";
import type { ProjectRights } from "./roles.js";

const PAGE_SIZE = 15;

/** `p/a/b` → `a/b` */
export const withoutProject = (project: string, name: string) => name.slice(project.length + 1);

export function RepositoriesTab({ project, rights }: { project: string; rights: ProjectRights }) {
  const { t } = useTranslation();
  const host = useRegistryHost();
  const [search, setSearch] = useState("");
  const [name] = useDebouncedValue(search, 250);
  const [pageNo, setPage] = useState(1);
  const repos = useQuery({
    queryKey: ["repositories", project, { name, pageNo }],
    queryFn: () => page<Repository>(`/projects/${project}/repositories`, { q: name ? `name=~${name}` : undefined, page: pageNo, page_size: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const remove = useWrite((repo: string) => json(`/projects/${project}/repositories/${repoSegment(repo)}`, { method: "DELETE" }), [["repositories", project], ["project", project]]);
  return (
    <>
      <Group>
        <TextInput label={t("common.search")} value={search} onChange={(e) => { setSearch(e.currentTarget.value); setPage(1); }} />
      </Group>
      <ErrorAlert error={repos.error} />
      {repos.data && repos.data.items.length === 0 ? (
        <EmptyState>
          {t("project.emptyRepos", { command: "" })}
          <Code>{`docker push ${host}/${project}/<repository>:<tag>`}</Code>
        </EmptyState>
      ) : (
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("common.name")}</Table.Th>
              <Table.Th>{t("project.artifacts")}</Table.Th>
              <Table.Th>{t("common.updated")}</Table.Th>
              {rights.deleteArtifacts && <Table.Th>{t("common.actions")}</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {repos.data?.items.map((r) => {
              const short = withoutProject(project, r.name ?? "");
              return (
                <Table.Tr key={r.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/projects/${project}/repositories/${encodeURIComponent(short)}`}>
                      {r.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{r.artifact_count ?? 0}</Table.Td>
                  <Table.Td>{formatTime(r.update_time)}</Table.Td>
                  {rights.deleteArtifacts && (
                    <Table.Td>
                      <ConfirmDelete name={r.name ?? short} onConfirm={() => remove.mutateAsync(short)} />
                    </Table.Td>
                  )}
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
      {repos.data && <Pager page={pageNo} pageSize={PAGE_SIZE} total={repos.data.total} onChange={setPage} />}
    </>
  );
}
