// System (global) labels: listed page by page from the server, created with a colour, deleted.
import { Button, ColorInput, ColorSwatch, Group, Stack, Text, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json, page } from "../../api/client.js";
import { adminKeys, type Label } from "../../api/admin-queries.js";
import { useWrite } from "../../api/queries.js";
import { ConfirmDelete } from "../../components/feedback.js";
import { FormDialog } from "../../components/form-dialog.js";
import { formatTime } from "../../components/format.js";
import { PagedTable } from "../../components/paged-table.js";

export function LabelsPage() {
  const { t } = useTranslation();
  const [creating, setCreating] = useState(false);
  const remove = useWrite((id: number) => json(`/labels/${id}`, { method: "DELETE" }), [adminKeys.labels]);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t("systemLabels.title")}
        </Title>
        <Button onClick={() => setCreating(true)}>{t("systemLabels.new")}</Button>
      </Group>
      <PagedTable
        queryKey={adminKeys.labels}
        fetchPage={(q) => page<Label>("/labels", { scope: "g", ...q })}
        pageSize={20}
        rowKey={(l) => l.id ?? 0}
        empty={t("systemLabels.empty")}
        testId="label-table"
        columns={[
          {
            header: t("common.name"),
            cell: (l: Label) => (
              <Group gap="xs" wrap="nowrap">
                <ColorSwatch color={l.color || "#868e96"} size={14} aria-hidden="true" />
                <Text>{l.name}</Text>
              </Group>
            ),
          },
          { header: t("systemLabels.description"), cell: (l) => l.description },
          { header: t("common.created"), cell: (l) => formatTime(l.creation_time) },
          { header: t("common.actions"), cell: (l) => <ConfirmDelete name={l.name ?? ""} onConfirm={() => remove.mutateAsync(l.id!)} /> },
        ]}
      />
      <NewLabel opened={creating} onClose={() => setCreating(false)} />
    </Stack>
  );
}

const BLANK = { name: "", description: "", color: "#1c7ed6" };

function NewLabel({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState(BLANK);
  const create = useWrite(() => json("/labels", { method: "POST", body: { ...form, scope: "g" } }), [adminKeys.labels]);
  return (
    <FormDialog
      opened={opened}
      onClose={onClose}
      title={t("systemLabels.new")}
      error={create.error}
      submitting={create.isPending}
      onSubmit={() => create.mutateAsync(undefined)}
      onDone={() => {
        setForm(BLANK);
        onClose();
      }}
    >
      <TextInput label={t("common.name")} required value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} data-autofocus />
      <TextInput label={t("systemLabels.description")} value={form.description} onChange={(e) => setForm({ ...form, description: e.currentTarget.value })} />
      <ColorInput label={t("systemLabels.color")} value={form.color} onChange={(color) => setForm({ ...form, color })} format="hex" withEyeDropper={false} />
    </FormDialog>
  );
}
