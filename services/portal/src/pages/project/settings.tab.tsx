// A project's settings: public, auto-scan on push, prevent vulnerable pulls (with the severity),
// the CVE allowlist (the system's or the project's own), and — for system administrators — the
// storage quota. Saved with PUT /projects/{name} and PUT /quotas/{id}; the API's errors shown.
import { Button, Card, Checkbox, Group, NumberInput, Radio, Select, Stack, Text, Textarea, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useWrite } from "../../api/queries.js";
import { keys, setQuota, updateProject, useQuota } from "../../api/project-queries.js";
import type { Project } from "../../api/types.js";
import { ErrorAlert } from "../../components/feedback.js";
import { formatBytes } from "../../components/format.js";
import type { ProjectRights } from "./roles.js";

const SEVERITIES = ["low", "medium", "high", "critical"];
const GIB = 2 ** 30;

/** `expires_at` (seconds) as the date input's `YYYY-MM-DD`, and back. */
const toDate = (s: number | null | undefined) => (s ? new Date(s * 1000).toISOString().slice(0, 10) : "");
const fromDate = (d: string) => (d ? Math.floor(new Date(`${d}T00:00:00Z`).getTime() / 1000) : null);

export function SettingsTab({ project, rights, sysadmin }: { project: Project; rights: ProjectRights; sysadmin: boolean }) {
  const { t } = useTranslation();
  const name = project.name ?? "";
  const m = project.metadata ?? {};
  const allowlist = project.cve_allowlist;
  const [isPublic, setPublic] = useState(m.public === "true");
  const [autoScan, setAutoScan] = useState(m.auto_scan === "true");
  const [prevent, setPrevent] = useState(m.prevent_vul === "true");
  const [severity, setSeverity] = useState(m.severity && m.severity !== "none" ? m.severity : "critical");
  const [reuse, setReuse] = useState(m.reuse_sys_cve_allowlist !== "false" ? "system" : "project");
  const [cves, setCves] = useState((allowlist?.items ?? []).map((i) => i.cve_id).join("\n"));
  const [expires, setExpires] = useState(toDate(allowlist?.expires_at));
  const [saved, setSaved] = useState(false);
  const save = useWrite(
    () =>
      updateProject(name, {
        metadata: {
          public: String(isPublic),
          auto_scan: String(autoScan),
          prevent_vul: String(prevent),
          severity,
          reuse_sys_cve_allowlist: String(reuse === "system"),
        },
        cve_allowlist: {
          items: cves
            .split(/[\s,]+/)
            .filter((c) => c !== "")
            .map((cve_id) => ({ cve_id })),
          expires_at: fromDate(expires),
        },
      }),
    [keys.project(name)],
  );
  const readOnly = !rights.manageProject;
  return (
    <Stack maw={640}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setSaved(false);
          await save.mutateAsync(undefined).then(() => setSaved(true), () => undefined);
        }}
      >
        <Stack>
          <Checkbox label={t("projectSettings.public")} description={t("projectSettings.publicHelp")} checked={isPublic} disabled={readOnly} onChange={(e) => setPublic(e.currentTarget.checked)} />
          <Checkbox label={t("projectSettings.autoScan")} checked={autoScan} disabled={readOnly} onChange={(e) => setAutoScan(e.currentTarget.checked)} />
          <Checkbox label={t("projectSettings.preventVul")} checked={prevent} disabled={readOnly} onChange={(e) => setPrevent(e.currentTarget.checked)} />
          {prevent && (
            <Select
              label={t("projectSettings.severity")}
              data={SEVERITIES.map((s) => ({ value: s, label: t(`projectSettings.sev.${s}`) }))}
              value={severity}
              disabled={readOnly}
              allowDeselect={false}
              onChange={(v) => setSeverity(v ?? "critical")}
            />
          )}
          <Radio.Group label={t("projectSettings.allowlist")} value={reuse} onChange={setReuse}>
            <Group mt="xs">
              <Radio value="system" label={t("projectSettings.allowlistSystem")} disabled={readOnly} />
              <Radio value="project" label={t("projectSettings.allowlistProject")} disabled={readOnly} />
            </Group>
          </Radio.Group>
          {reuse === "project" && (
            <>
              <Textarea label={t("projectSettings.cves")} description={t("projectSettings.cvesHelp")} autosize minRows={3} value={cves} readOnly={readOnly} onChange={(e) => setCves(e.currentTarget.value)} />
              <TextInput type="date" label={t("projectSettings.expires")} value={expires} readOnly={readOnly} onChange={(e) => setExpires(e.currentTarget.value)} />
            </>
          )}
          <ErrorAlert error={save.error} />
          {saved && (
            <Text c="teal" size="sm" role="status">
              {t("projectSettings.saved")}
            </Text>
          )}
          {!readOnly && (
            <Group>
              <Button type="submit" loading={save.isPending}>
                {t("common.save")}
              </Button>
            </Group>
          )}
        </Stack>
      </form>
      {sysadmin && <QuotaCard projectId={project.project_id ?? 0} />}
    </Stack>
  );
}

/** The storage limit (GiB; empty is unlimited), for system administrators. */
function QuotaCard({ projectId }: { projectId: number }) {
  const { t } = useTranslation();
  const quota = useQuota(projectId, true);
  const hard = quota.data?.hard?.["storage"] as number | undefined;
  const used = quota.data?.used?.["storage"] as number | undefined;
  const [limit, setLimit] = useState<number | string | null>(null);
  const shown = limit ?? (hard === undefined || hard < 0 ? "" : Math.round((hard / GIB) * 100) / 100);
  const save = useWrite(() => setQuota(projectId, shown === "" ? -1 : Math.round(Number(shown) * GIB)), [keys.quota(projectId), ["project"]]);
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        {t("projectSettings.quota")}
      </Title>
      <ErrorAlert error={quota.error ?? save.error} />
      <Text size="sm" mb="sm" data-testid="quota-usage">
        {t("projectSettings.quotaUsage", { used: formatBytes(used), limit: hard === undefined || hard < 0 ? t("project.unlimited") : formatBytes(hard) })}
      </Text>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await save.mutateAsync(undefined).then(() => setLimit(null), () => undefined);
        }}
      >
        <Group align="end">
          <NumberInput label={t("projectSettings.quotaLimit")} min={0} decimalScale={2} value={shown} onChange={setLimit} />
          <Button type="submit" loading={save.isPending}>
            {t("projectSettings.saveQuota")}
          </Button>
        </Group>
      </form>
    </Card>
  );
}
