// A project's tag retention: its rules (templates, repository and tag selectors, untagged), the
// schedule, a dry run or a real run, and the executions with their per-repository tasks and logs
// (retention-runs.tsx). One policy per project, named by the project's `retention_id`.
import { Button, Group, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { keys, runRetention, saveRetention, useRetention, useRetentionMetadata, type RetentionPolicy, type RetentionRule } from "../../api/project-queries.js";
import type { Project } from "../../api/types.js";
import { ConfirmButton } from "../../components/confirm-dialog.js";
import { ConfirmDelete, ErrorAlert } from "../../components/feedback.js";
import { DataTable } from "../../components/paged-table.js";
import { RetentionRuleForm, ruleParam, selectorText } from "./retention-rule-form.js";
import { RetentionRuns } from "./retention-runs.js";
import type { ProjectRights } from "./roles.js";

/** Schedules offered by name; anything else is a custom cron (six fields, seconds first). */
const PRESETS: Record<string, string> = { none: "", hourly: "0 0 * * * *", daily: "0 0 0 * * *", weekly: "0 0 0 * * 0" };
const presetOf = (cron: string) => Object.keys(PRESETS).find((k) => PRESETS[k] === cron) ?? "custom";

export function RetentionTab({ project, rights }: { project: Project; rights: ProjectRights }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const name = project.name ?? "";
  const retentionId = project.metadata?.retention_id ? Number(project.metadata.retention_id) : undefined;
  const policy = useRetention(retentionId);
  const metadata = useRetentionMetadata();
  const [editing, setEditing] = useState<{ index: number; rule: RetentionRule } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const rules = retentionId === undefined ? [] : policy.data?.rules;
  const cron = String(policy.data?.trigger?.settings?.["cron"] ?? "");

  /** Writes the whole policy (rules and schedule), creating it on first use. */
  async function write(change: { rules?: RetentionRule[]; cron?: string }): Promise<void> {
    const next: RetentionPolicy = {
      ...(retentionId !== undefined && { id: retentionId }),
      algorithm: "or",
      rules: change.rules ?? rules ?? [],
      trigger: { kind: "Schedule", settings: { cron: change.cron ?? cron } },
      scope: { level: "project", ref: project.project_id },
    };
    await saveRetention(next);
    await Promise.all([client.invalidateQueries({ queryKey: keys.project(name) }), client.invalidateQueries({ queryKey: ["retention"] })]);
  }
  const guarded = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
      throw err;
    }
  };
  const templateText = (r: RetentionRule) => {
    const display = metadata.data?.templates?.find((x) => x.rule_template === r.template)?.display_text ?? r.template ?? "";
    return display.replace("#", String(ruleParam(r) ?? ""));
  };

  return (
    <Stack>
      <ErrorAlert error={policy.error ?? metadata.error ?? error} />
      <Group justify="space-between">
        <Title order={2} size="h4">
          {t("projectRetention.rules")}
        </Title>
        {rights.manageRetention && (
          <Button onClick={() => setEditing({ index: -1, rule: {} })} disabled={(rules?.length ?? 0) >= 15}>
            {t("projectRetention.addRule")}
          </Button>
        )}
      </Group>
      <DataTable
        rows={rules}
        rowKey={(r) => `${r.id}-${r.template}-${selectorText(r.tag_selectors?.[0])}`}
        empty={t("projectRetention.empty")}
        testId="retention-rules"
        columns={[
          { header: t("projectRetention.template"), cell: (r: RetentionRule) => templateText(r) },
          { header: t("projectRetention.repositories"), cell: (r) => (r.scope_selectors?.["repository"] ?? []).map(selectorText).join("; ") },
          { header: t("projectRetention.tags"), cell: (r) => (r.tag_selectors ?? []).map(selectorText).join("; ") },
          rights.manageRetention && {
            header: t("common.actions"),
            cell: (r) => {
              const index = rules!.indexOf(r);
              return (
                <Group gap="xs" wrap="nowrap">
                  <Button size="xs" variant="default" onClick={() => setEditing({ index, rule: r })} aria-label={`${t("projectTabs.edit")} ${t("projectRetention.rule")} ${index + 1}`}>
                    {t("projectTabs.edit")}
                  </Button>
                  <ConfirmDelete name={`${t("projectRetention.rule")} ${index + 1}`} onConfirm={() => write({ rules: rules!.filter((_, i) => i !== index) })} />
                </Group>
              );
            },
          },
        ]}
      />
      {retentionId !== undefined && policy.data && <Schedule cron={cron} readOnly={!rights.manageRetention} onSave={(c) => guarded(() => write({ cron: c }))} />}
      {retentionId !== undefined && rights.manageRetention && (rules?.length ?? 0) > 0 && (
        <Group>
          <Button variant="default" onClick={() => guarded(() => runRetention(retentionId, true).then(() => client.invalidateQueries({ queryKey: keys.retentionRuns(retentionId) }))).catch(() => undefined)}>
            {t("projectRetention.dryRun")}
          </Button>
          <ConfirmButton
            label={t("projectRetention.runNow")}
            size="sm"
            variant="filled"
            title={t("projectRetention.runNow")}
            message={t("projectRetention.runConfirm")}
            onConfirm={() => runRetention(retentionId, false).then(() => client.invalidateQueries({ queryKey: keys.retentionRuns(retentionId) }))}
          />
        </Group>
      )}
      {retentionId !== undefined && <RetentionRuns policy={retentionId} />}
      {editing && metadata.data && (
        <RetentionRuleForm
          metadata={metadata.data}
          rule={editing.rule}
          onClose={() => setEditing(null)}
          onSave={(rule) => write({ rules: editing.index < 0 ? [...(rules ?? []), rule] : rules!.map((r, i) => (i === editing.index ? rule : r)) })}
        />
      )}
    </Stack>
  );
}

function Schedule({ cron, readOnly, onSave }: { cron: string; readOnly: boolean; onSave: (cron: string) => Promise<void> }) {
  const { t } = useTranslation();
  const [preset, setPreset] = useState(presetOf(cron));
  const [custom, setCustom] = useState(cron);
  const [saved, setSaved] = useState(false);
  const value = preset === "custom" ? custom : PRESETS[preset]!;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        onSave(value).then(() => setSaved(true), () => undefined);
      }}
    >
      <Group align="end">
        <Select
          label={t("projectRetention.schedule")}
          data={["none", "hourly", "daily", "weekly", "custom"].map((v) => ({ value: v, label: t(`projectRetention.${v}`) }))}
          value={preset}
          allowDeselect={false}
          disabled={readOnly}
          onChange={(v) => setPreset(v ?? "none")}
        />
        {preset === "custom" && <TextInput label={t("gc.cron")} value={custom} placeholder="0 0 3 * * *" readOnly={readOnly} onChange={(e) => setCustom(e.currentTarget.value)} />}
        {!readOnly && (
          <Button type="submit" variant="default">
            {t("projectRetention.saveSchedule")}
          </Button>
        )}
        {saved && (
          <Text size="sm" c="teal" role="status">
            {t("projectSettings.saved")}
          </Text>
        )}
      </Group>
    </form>
  );
}
