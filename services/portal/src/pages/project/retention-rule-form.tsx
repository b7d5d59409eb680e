// One retention rule: its template (from /retentions/metadatas) with its number, the repositories
// and tags it selects (matching or excluding a doublestar pattern) and whether untagged artifacts
// count.
import { Button, Checkbox, Group, NumberInput, Select, Stack, TextInput } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { RetentionMetadata, RetentionRule, Selector } from "../../api/project-queries.js";
import { Dialog } from "../../components/dialog.js";
import { ErrorAlert } from "../../components/feedback.js";

export const ruleParam = (r: RetentionRule) => (r.params?.[r.template ?? ""] as unknown as number | undefined) ?? undefined;
const untaggedOf = (s: Selector | undefined) => {
  try {
    return (JSON.parse(s?.extras ?? "{}") as { untagged?: boolean }).untagged === true;
  } catch {
    return false;
  }
};

/** `matches **`, `excludes dev-*`, with "(untagged too)" when the extras say so. */
export function selectorText(s: Selector | undefined): string {
  if (!s) return "";
  return `${s.decoration} ${s.pattern}${untaggedOf(s) ? " (+untagged)" : ""}`;
}

export function RetentionRuleForm({ metadata, rule, onClose, onSave }: { metadata: RetentionMetadata; rule: RetentionRule; onClose: () => void; onSave: (rule: RetentionRule) => Promise<void> }) {
  const { t } = useTranslation();
  const repo = rule.scope_selectors?.["repository"]?.[0];
  const tag = rule.tag_selectors?.[0];
  const [template, setTemplate] = useState(rule.template ?? "latestPushedK");
  const [param, setParam] = useState<number | string>(ruleParam(rule) ?? 10);
  const [repoDecoration, setRepoDecoration] = useState(repo?.decoration ?? "repoMatches");
  const [repoPattern, setRepoPattern] = useState(repo?.pattern ?? "**");
  const [tagDecoration, setTagDecoration] = useState(tag?.decoration ?? "matches");
  const [tagPattern, setTagPattern] = useState(tag?.pattern ?? "**");
  const [untagged, setUntagged] = useState(tag ? untaggedOf(tag) : true);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const meta = metadata.templates?.find((x) => x.rule_template === template);
  const hasParam = (meta?.params?.length ?? 0) > 0;
  return (
    <Dialog opened onClose={onClose} title={rule.template ? t("projectRetention.editRule") : t("projectRetention.addRule")} size="lg" centered>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          const next: RetentionRule = {
            priority: rule.priority ?? 0,
            disabled: rule.disabled ?? false,
            action: "retain",
            template,
            params: (hasParam ? { [template]: Number(param) } : {}) as unknown as RetentionRule["params"],
            // The form edits the first selector of each kind; any others (set through the API) are kept.
            tag_selectors: [{ kind: "doublestar", decoration: tagDecoration, pattern: tagPattern, extras: JSON.stringify({ untagged }) }, ...(rule.tag_selectors ?? []).slice(1)],
            scope_selectors: { repository: [{ kind: "doublestar", decoration: repoDecoration, pattern: repoPattern }, ...(rule.scope_selectors?.["repository"] ?? []).slice(1)] },
          };
          try {
            await onSave(next);
            onClose();
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Stack>
          <ErrorAlert error={error} />
          <Select
            label={t("projectRetention.template")}
            data={(metadata.templates ?? []).map((x) => ({ value: x.rule_template ?? "", label: x.display_text ?? "" }))}
            value={template}
            allowDeselect={false}
            onChange={(v) => setTemplate(v ?? "latestPushedK")}
          />
          {hasParam && <NumberInput label={t("projectRetention.count", { unit: meta?.params?.[0]?.unit ?? "" })} min={0} required value={param} onChange={setParam} />}
          <Group grow align="end">
            <Select label={t("projectRetention.repositories")} data={metadata.scope_selectors?.[0]?.decorations ?? ["repoMatches", "repoExcludes"]} value={repoDecoration} allowDeselect={false} onChange={(v) => setRepoDecoration(v ?? "repoMatches")} />
            <TextInput label={t("projectRetention.repoPattern")} required value={repoPattern} onChange={(e) => setRepoPattern(e.currentTarget.value)} />
          </Group>
          <Group grow align="end">
            <Select label={t("projectRetention.tags")} data={metadata.tag_selectors?.[0]?.decorations ?? ["matches", "excludes"]} value={tagDecoration} allowDeselect={false} onChange={(v) => setTagDecoration(v ?? "matches")} />
            <TextInput label={t("projectRetention.tagPattern")} required value={tagPattern} onChange={(e) => setTagPattern(e.currentTarget.value)} />
          </Group>
          <Checkbox label={t("projectRetention.untagged")} checked={untagged} onChange={(e) => setUntagged(e.currentTarget.checked)} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t("common.cancel")}
            </Button>
            <Button type="submit" loading={busy}>
              {t("common.save")}
            </Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}
