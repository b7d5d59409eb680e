// A project's labels (scope p): list, create, edit, delete (project admins and maintainers). Artifacts
// carry them; the repository page can filter by them.
import { Button, Group, TextInput } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useWrite } from "../../api/queries.js";
import { deleteLabel, keys, labelPage, saveLabel, type Label } from "../../api/project-queries.js";
import { FormDialog } from "../../components/form-dialog.js";
import { ConfirmDelete } from "../../components/feedback.js";
import { PagedTable } from "../../components/paged-table.js";
import type { ProjectRights } from "./roles.js";

/** A label's name after a dot of its colour (the text keeps the theme's colour: any colour may be chosen). */
export function LabelName({ label }: { label: Label }) {
  return (
    <Group gap={6} wrap="nowrap">
      <span aria-hidden="true" style={{ display: "inline-block", width: 10, height: 10, borderRadius: 5, background: label.color || "gray" }} />
      <span>{label.name}</span>
    </Group>
  );
}

export function LabelsTab({ projectId, rights }: { projectId: number; rights: ProjectRights }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [editing, setEditing] = useState<Label | null>(null);
  return (
    <>
      {rights.manageLabels && (
        <Group>
          <Button onClick={() => setEditing({ color: "#1c7ed6", project_id: projectId })}>{t("projectLabels.new")}</Button>
        </Group>
      )}
      <PagedTable
        queryKey={keys.labels(projectId)}
        fetchPage={(q) => labelPage(projectId, q)}
        rowKey={(l) => l.id ?? 0}
        empty={t("projectLabels.empty")}
        testId="label-table"
        columns={[
          { header: t("common.name"), cell: (l: Label) => <LabelName label={l} /> },
          { header: t("projectWebhooks.description"), cell: (l) => l.description },
          rights.manageLabels && {
            header: t("common.actions"),
            cell: (l) => (
              <Group gap="xs" wrap="nowrap">
                <Button size="xs" variant="default" onClick={() => setEditing(l)} aria-label={`${t("projectTabs.edit")} ${l.name}`}>
                  {t("projectTabs.edit")}
                </Button>
                <ConfirmDelete name={l.name ?? ""} onConfirm={() => deleteLabel(l.id!).then(() => client.invalidateQueries({ queryKey: keys.labels(projectId) }))} />
              </Group>
            ),
          },
        ]}
      />
      {editing && <LabelForm label={editing} onClose={() => setEditing(null)} />}
    </>
  );
}

function LabelForm({ label, onClose }: { label: Label; onClose: () => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState(label.name ?? "");
  const [description, setDescription] = useState(label.description ?? "");
  const [color, setColor] = useState(label.color ?? "");
  const save = useWrite(() => saveLabel({ ...label, name, description, color }), [keys.labels(label.project_id ?? 0)]);
  return (
    <FormDialog opened onClose={onClose} title={label.id ? t("projectLabels.edit") : t("projectLabels.new")} error={save.error} submitting={save.isPending} submitLabel={t("common.save")} onSubmit={() => save.mutateAsync(undefined)}>
      <TextInput label={t("common.name")} required value={name} onChange={(e) => setName(e.currentTarget.value)} />
      <TextInput label={t("projectWebhooks.description")} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
      <TextInput type="color" label={t("projectLabels.color")} value={color || "#1c7ed6"} onChange={(e) => setColor(e.currentTarget.value)} w={120} />
    </FormDialog>
  );
}
