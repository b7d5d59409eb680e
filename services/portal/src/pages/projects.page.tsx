import { Anchor, Badge, Button, Checkbox, Group, NumberInput, Select, Stack, TextInput, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router-dom";
import { json, page } from "../api/client.js";
import { useWrite } from "../api/queries.js";
import type { Project } from "../api/types.js";
import { useCurrentUser } from "../app/session.js";
import { FormDialog } from "../components/form-dialog.js";
import { formatTime } from "../components/format.js";
import { PagedTable } from "../components/paged-table.js";
import { ProxyBadge, ProxyCacheField } from "./proxy-cache-field.js";

export function ProjectsPage() {
  const { t } = useTranslation();
  const [search, setSearch] = useState("");
  const [name] = useDebouncedValue(search, 250);
  const [sort, setSort] = useState("name");
  const [creating, setCreating] = useState(false);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t("projects.title")}
        </Title>
        <Button onClick={() => setCreating(true)}>{t("projects.new")}</Button>
      </Group>
      <Group>
        <TextInput
          label={t("common.search")}
          placeholder={t("common.name")}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
        />
        <Select
          label={t("projects.sort")}
          value={sort}
          onChange={(v) => setSort(v ?? "name")}
          allowDeselect={false}
          data={[
            { value: "name", label: t("projects.sortName") },
            { value: "-creation_time", label: t("projects.sortCreated") },
            { value: "-update_time", label: t("projects.sortUpdated") },
          ]}
        />
      </Group>
      {/* A new search starts again at page 1. */}
      <PagedTable
        key={name}
        queryKey={["projects", { name, sort }]}
        fetchPage={(q) => page<Project>("/projects", { name, sort, ...q })}
        pageSize={15}
        rowKey={(p) => p.project_id ?? 0}
        empty={name ? t("projects.noMatch") : t("projects.empty")}
        columns={[
          {
            header: t("common.name"),
            cell: (p: Project) => (
              <>
                <Anchor component={Link} to={`/projects/${p.name}`}>
                  {p.name}
                </Anchor>
                <ProxyBadge project={p} />
              </>
            ),
          },
          {
            header: t("projects.access"),
            cell: (p) => (
              <Badge variant="light" color={p.metadata?.public === "true" ? "teal" : "gray"}>
                {p.metadata?.public === "true" ? t("projects.public") : t("projects.private")}
              </Badge>
            ),
          },
          { header: t("projects.repositories"), cell: (p) => p.repo_count ?? 0 },
          { header: t("common.created"), cell: (p) => formatTime(p.creation_time) },
        ]}
      />
      <CreateProject opened={creating} onClose={() => setCreating(false)} />
    </Stack>
  );
}

function CreateProject({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const admin = useCurrentUser().data?.sysadmin_flag === true;
  const [name, setName] = useState("");
  const [isPublic, setPublic] = useState(false);
  const [gib, setGib] = useState<number | string>("");
  const [registryId, setRegistryId] = useState<number | null>(null);
  const create = useWrite(
    () =>
      json("/projects", {
        method: "POST",
        body: {
          project_name: name,
          metadata: { public: String(isPublic) },
          ...(admin && gib !== "" ? { storage_limit: Math.round(Number(gib) * 2 ** 30) } : {}),
          ...(admin && registryId !== null ? { registry_id: registryId } : {}),
        },
      }),
    [["projects"]],
  );
  return (
    <FormDialog
      opened={opened}
      onClose={onClose}
      title={t("projects.new")}
      error={create.error}
      submitting={create.isPending}
      onSubmit={() => create.mutateAsync(undefined)}
      onDone={() => {
        onClose();
        navigate(`/projects/${name}`);
      }}
    >
      <TextInput label={t("common.name")} required value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
      <Checkbox label={t("projects.public")} checked={isPublic} onChange={(e) => setPublic(e.currentTarget.checked)} />
      {admin && <NumberInput label={t("projects.storageLimit")} min={0} value={gib} onChange={setGib} />}
      {admin && <ProxyCacheField registryId={registryId} onChange={setRegistryId} />}
    </FormDialog>
  );
}
