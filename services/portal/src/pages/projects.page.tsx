import { Anchor, Badge, Button, Checkbox, Group, NumberInput, Select, Stack, Table, TextInput, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router-dom";
import { json, page } from "../api/client.js";
import { useWrite } from "../api/queries.js";
import type { Project } from "../api/types.js";
import { useCurrentUser } from "../app/session.js";
import { EmptyState, ErrorAlert, Pager } from "../components/feedback.js";
import { formatTime } from "../components/format.js";
import { Dialog } from "../components/dialog.js";
import { ProxyBadge, ProxyCacheField } from "./proxy-cache-field.js";

const PAGE_SIZE = 15;

export function ProjectsPage() {
  const { t } = useTranslation();
  const [search, setSearch] = useState("");
  const [name] = useDebouncedValue(search, 250);
  const [sort, setSort] = useState("name");
  const [pageNo, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const projects = useQuery({
    queryKey: ["projects", { name, sort, pageNo }],
    queryFn: () => page<Project>("/projects", { name, sort, page: pageNo, page_size: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
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
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setPage(1);
          }}
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
      <ErrorAlert error={projects.error} />
      {projects.data && projects.data.items.length === 0 ? (
        <EmptyState>{name ? t("projects.noMatch") : t("projects.empty")}</EmptyState>
      ) : (
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("common.name")}</Table.Th>
              <Table.Th>{t("projects.access")}</Table.Th>
              <Table.Th>{t("projects.repositories")}</Table.Th>
              <Table.Th>{t("common.created")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {projects.data?.items.map((p) => (
              <Table.Tr key={p.project_id}>
                <Table.Td>
                  <Anchor component={Link} to={`/projects/${p.name}`}>
                    {p.name}
                  </Anchor>
                  <ProxyBadge project={p} />
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={p.metadata?.public === "true" ? "teal" : "gray"}>
                    {p.metadata?.public === "true" ? t("projects.public") : t("projects.private")}
                  </Badge>
                </Table.Td>
                <Table.Td>{p.repo_count ?? 0}</Table.Td>
                <Table.Td>{formatTime(p.creation_time)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {projects.data && <Pager page={pageNo} pageSize={PAGE_SIZE} total={projects.data.total} onChange={setPage} />}
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
    <Dialog opened={opened} onClose={onClose} title={t("projects.new")} centered>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await create.mutateAsync(undefined).then(() => {
            onClose();
            navigate(`/projects/${name}`);
          }, () => undefined);
        }}
      >
        <Stack>
          <ErrorAlert error={create.error} />
          <TextInput label={t("common.name")} required value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
          <Checkbox label={t("projects.public")} checked={isPublic} onChange={(e) => setPublic(e.currentTarget.checked)} />
          {admin && <NumberInput label={t("projects.storageLimit")} min={0} value={gib} onChange={setGib} />}
          {admin && <ProxyCacheField registryId={registryId} onChange={setRegistryId} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t("common.cancel")}
            </Button>
            <Button type="submit" loading={create.isPending}>
              {t("common.create")}
            </Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}
