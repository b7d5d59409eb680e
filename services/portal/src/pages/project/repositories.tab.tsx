import { Anchor, Code, Group, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router-dom";
import { json, page, repoSegment } from "../../api/client.js";
import { useWrite } from "../../api/queries.js";
import type { Repository } from "../../api/types.js";
import { useRegistryHost } from "../../app/session.js";
import { ConfirmDelete } from "../../components/feedback.js";
import { PagedTable } from "../../components/paged-table.js";
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
  const remove = useWrite((repo: string) => json(`/projects/${project}/repositories/${repoSegment(repo)}`, { method: "DELETE" }), [["repositories", project], ["project", project]]);
  return (
    <>
      <Group>
        <TextInput label={t("common.search")} value={search} onChange={(e) => setSearch(e.currentTarget.value)} />
      </Group>
      <PagedTable
        key={name}
        queryKey={["repositories", project, name]}
        fetchPage={(q) => page<Repository>(`/projects/${project}/repositories`, { q: name ? `name=~${name}` : undefined, ...q })}
        pageSize={PAGE_SIZE}
        rowKey={(r) => r.id ?? 0}
        empty={
          <>
            {t("project.emptyRepos", { command: "" })}
            <Code>{`docker push ${host}/${project}/<repository>:<tag>`}</Code>
          </>
        }
        columns={[
          {
            header: t("common.name"),
            cell: (r: Repository) => (
              <Anchor component={Link} to={`/projects/${project}/repositories/${encodeURIComponent(withoutProject(project, r.name ?? ""))}`}>
                {r.name}
              </Anchor>
            ),
          },
          { header: t("project.artifacts"), cell: (r) => r.artifact_count ?? 0 },
          { header: t("common.updated"), cell: (r) => formatTime(r.update_time) },
          rights.deleteArtifacts && { header: t("common.actions"), cell: (r) => <ConfirmDelete name={r.name ?? ""} onConfirm={() => remove.mutateAsync(withoutProject(project, r.name ?? ""))} /> },
        ]}
      />
    </>
  );
}
