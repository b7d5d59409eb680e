// A project's tag immutability rules: list, add, edit, enable/disable, delete (project admins and
// maintainers). A tag a rule selects can be neither re-pushed, re-tagged nor deleted.
import { Badge, Button, Group, Select, TextInput } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useWrite } from "../../api/queries.js";
import { deleteImmutableRule, immutableRulePage, keys, saveImmutableRule, type ImmutableRule } from "../../api/project-queries.js";
import { FormDialog } from "../../components/form-dialog.js";
import { ConfirmDelete, ErrorAlert } from "../../components/feedback.js";
import { PagedTable } from "../../components/paged-table.js";
import { selectorText } from "./retention-rule-form.js";
import type { ProjectRights } from "./roles.js";

export function ImmutabilityTab({ project, rights }: { project: string; rights: ProjectRights }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [editing, setEditing] = useState<ImmutableRule | null>(null);
  const toggle = useWrite((r: ImmutableRule) => saveImmutableRule(project, { id: r.id, disabled: !r.disabled }), [keys.immutability(project)]);
  const label = (r: ImmutableRule) => `${t("projectImmutability.rule")} #${r.id}`;
  return (
    <>
      {rights.manageImmutability && (
        <Group>
          <Button onClick={() => setEditing({})}>{t("projectImmutability.add")}</Button>
        </Group>
      )}
      <ErrorAlert error={toggle.error} />
      <PagedTable
        queryKey={keys.immutability(project)}
        fetchPage={(q) => immutableRulePage(project, q)}
        rowKey={(r) => r.id ?? 0}
        empty={t("projectImmutability.empty")}
        testId="immutability-rules"
        columns={[
          { header: t("projectRetention.repositories"), cell: (r: ImmutableRule) => (r.scope_selectors?.["repository"] ?? []).map(selectorText).join("; ") },
          { header: t("projectRetention.tags"), cell: (r) => (r.tag_selectors ?? []).map(selectorText).join("; ") },
          { header: t("projectWebhooks.state"), cell: (r) => <Badge color={r.disabled ? "gray" : "teal"} variant="light">{r.disabled ? t("projectWebhooks.disabled") : t("projectWebhooks.enabled")}</Badge> },
          rights.manageImmutability && {
            header: t("common.actions"),
            cell: (r) => (
              <Group gap="xs" wrap="nowrap">
                <Button size="xs" variant="default" onClick={() => setEditing(r)} aria-label={`${t("projectTabs.edit")} ${label(r)}`}>
                  {t("projectTabs.edit")}
                </Button>
                <Button size="xs" variant="default" onClick={() => toggle.mutate(r)} aria-label={`${r.disabled ? t("projectWebhooks.enable") : t("projectWebhooks.disable")} ${label(r)}`}>
                  {r.disabled ? t("projectWebhooks.enable") : t("projectWebhooks.disable")}
                </Button>
                <ConfirmDelete name={label(r)} onConfirm={() => deleteImmutableRule(project, r.id!).then(() => client.invalidateQueries({ queryKey: keys.immutability(project) }))} />
              </Group>
            ),
          },
        ]}
      />
      {editing && <RuleForm project={project} rule={editing} onClose={() => setEditing(null)} />}
    </>
  );
}

function RuleForm({ project, rule, onClose }: { project: string; rule: ImmutableRule; onClose: () => void }) {
  const { t } = useTranslation();
  const repo = rule.scope_selectors?.["repository"]?.[0];
  const tag = rule.tag_selectors?.[0];
  const [repoDecoration, setRepoDecoration] = useState(repo?.decoration ?? "repoMatches");
  const [repoPattern, setRepoPattern] = useState(repo?.pattern ?? "**");
  const [tagDecoration, setTagDecoration] = useState(tag?.decoration ?? "matches");
  const [tagPattern, setTagPattern] = useState(tag?.pattern ?? "");
  const save = useWrite(
    () =>
      saveImmutableRule(project, {
        ...(rule.id !== undefined && { id: rule.id }),
        disabled: rule.disabled ?? false,
        // The form edits the first selector of each kind; any others (set through the API) are kept.
        tag_selectors: [{ kind: "doublestar", decoration: tagDecoration, pattern: tagPattern }, ...(rule.tag_selectors ?? []).slice(1)],
        scope_selectors: { repository: [{ kind: "doublestar", decoration: repoDecoration, pattern: repoPattern }, ...(rule.scope_selectors?.["repository"] ?? []).slice(1)] },
      }),
    [keys.immutability(project)],
  );
  return (
    <FormDialog opened onClose={onClose} title={rule.id ? t("projectImmutability.edit") : t("projectImmutability.add")} error={save.error} submitting={save.isPending} submitLabel={t("common.save")} onSubmit={() => save.mutateAsync(undefined)}>
      <Group grow align="end">
        <Select label={t("projectRetention.repositories")} data={["repoMatches", "repoExcludes"]} value={repoDecoration} allowDeselect={false} onChange={(v) => setRepoDecoration(v ?? "repoMatches")} />
        <TextInput label={t("projectRetention.repoPattern")} required value={repoPattern} onChange={(e) => setRepoPattern(e.currentTarget.value)} />
      </Group>
      <Group grow align="end">
        <Select label={t("projectRetention.tags")} data={["matches", "excludes"]} value={tagDecoration} allowDeselect={false} onChange={(v) => setTagDecoration(v ?? "matches")} />
        <TextInput label={t("projectRetention.tagPattern")} required placeholder="v*" value={tagPattern} onChange={(e) => setTagPattern(e.currentTarget.value)} />
      </Group>
    </FormDialog>
  );
}
