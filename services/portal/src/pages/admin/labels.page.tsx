// System (global) labels: listed page by page from the server, created with a colour, deleted.
import { Button, ColorInput, ColorSwatch, Group, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json, page } from "../../api/client.js";
import { adminKeys, type Label } from "../../api/admin-queries.js";
import { useWrite } from "../../api/queries.js";
import { ConfirmDelete, EmptyState, ErrorAlert, Pager } from "../../components/feedback.js";
import { formatTime } from "../../components/format.js";
import { Dialog } from "../../components/dialog.js";

const PAGE_SIZE = 20;

export function LabelsPage() {
  const { t } = useTranslation();
  const [pageNo, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const labels = useQuery({
    queryKey: [...adminKeys.labels, pageNo],
    queryFn: () => page<Label>("/labels", { scope: "g", page: pageNo, page_size: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const remove = useWrite((id: number) => json(`/labels/${id}`, { method: "DELETE" }), [adminKeys.labels]);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t("systemLabels.title")}
        </Title>
        <Button onClick={() => setCreating(true)}>{t("systemLabels.new")}</Button>
      </Group>
      <ErrorAlert error={labels.error} />
      {labels.data && labels.data.items.length === 0 ? (
        <EmptyState>{t("systemLabels.empty")}</EmptyState>
      ) : (
        <Table striped data-testid="label-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("common.name")}</Table.Th>
              <Table.Th>{t("systemLabels.description")}</Table.Th>
              <Table.Th>{t("common.created")}</Table.Th>
              <Table.Th>{t("common.actions")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {labels.data?.items.map((l) => (
              <Table.Tr key={l.id}>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <ColorSwatch color={l.color || "#868e96"} size={14} aria-hidden="true" />
                    <Text>{l.name}</Text>
                  </Group>
                </Table.Td>
                <Table.Td>{l.description}</Table.Td>
                <Table.Td>{formatTime(l.creation_time)}</Table.Td>
                <Table.Td>
                  <ConfirmDelete name={l.name ?? ""} onConfirm={() => remove.mutateAsync(l.id!)} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {labels.data && <Pager page={pageNo} pageSize={PAGE_SIZE} total={labels.data.total} onChange={setPage} />}
      <NewLabel opened={creating} onClose={() => setCreating(false)} />
    </Stack>
  );
}

function NewLabel({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState({ name: "", description: "", color: "#1c7ed6" });
  const create = useWrite(() => json("/labels", { method: "POST", body: { ...form, scope: "g" } }), [adminKeys.labels]);
  return (
    <Dialog opened={opened} onClose={onClose} title={t("systemLabels.new")} centered>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await create.mutateAsync(undefined).then(() => {
            setForm({ name: "", description: "", color: "#1c7ed6" });
            onClose();
          }, () => undefined);
        }}
      >
        <Stack>
          <ErrorAlert error={create.error} />
          <TextInput label={t("common.name")} required value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} data-autofocus />
          <TextInput label={t("systemLabels.description")} value={form.description} onChange={(e) => setForm({ ...form, description: e.currentTarget.value })} />
          <ColorInput label={t("systemLabels.color")} value={form.color} onChange={(color) => setForm({ ...form, color })} format="hex" withEyeDropper={false} />
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
