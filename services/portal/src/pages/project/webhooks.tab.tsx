// A project's webhook policies: list, create, edit, enable/disable, delete (project admins; the
// event types come from the API), and each policy's delivery history (webhook-deliveries.tsx).
import { Badge, Button, Checkbox, Group, Select, Switch, Text, TextInput } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useWrite } from "../../api/queries.js";
import { deleteWebhook, keys, saveWebhook, useWebhookEvents, webhookPage, type WebhookPolicy } from "../../api/project-queries.js";
import { Dialog } from "../../components/dialog.js";
import { FormDialog } from "../../components/form-dialog.js";
import { ConfirmDelete, ErrorAlert } from "../../components/feedback.js";
import { PagedTable } from "../../components/paged-table.js";
import type { ProjectRights } from "./roles.js";
import { WebhookDeliveries } from "./webhook-deliveries.js";

export function WebhooksTab({ project, rights }: { project: string; rights: ProjectRights }) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<WebhookPolicy | null>(null);
  const [history, setHistory] = useState<WebhookPolicy | null>(null);
  const client = useQueryClient();
  const refresh = () => client.invalidateQueries({ queryKey: keys.webhooks(project) });
  const toggle = useWrite((p: WebhookPolicy) => saveWebhook(project, { ...p, enabled: !p.enabled }), [keys.webhooks(project)]);
  return (
    <>
      {rights.manageProject && (
        <Group>
          <Button onClick={() => setEditing({ enabled: true, event_types: [], targets: [{ type: "http", address: "", skip_cert_verify: false, payload_format: "Default" }] })}>{t("projectWebhooks.new")}</Button>
        </Group>
      )}
      <ErrorAlert error={toggle.error} />
      <PagedTable
        queryKey={keys.webhooks(project)}
        fetchPage={(q) => webhookPage(project, q)}
        rowKey={(p) => p.id ?? 0}
        empty={rights.manageProject ? t("projectWebhooks.empty") : t("projectWebhooks.emptyReadOnly")}
        testId="webhook-table"
        columns={[
          { header: t("common.name"), cell: (p) => p.name },
          { header: t("projectWebhooks.address"), cell: (p) => p.targets?.map((x) => x.address).join(", ") },
          { header: t("projectWebhooks.events"), cell: (p) => p.event_types?.join(", ") },
          { header: t("projectWebhooks.state"), cell: (p) => <Badge color={p.enabled ? "teal" : "gray"} variant="light">{p.enabled ? t("projectWebhooks.enabled") : t("projectWebhooks.disabled")}</Badge> },
          {
            header: t("common.actions"),
            cell: (p) => (
              <Group gap="xs" wrap="nowrap">
                <Button size="xs" variant="default" onClick={() => setHistory(p)} aria-label={`${t("projectWebhooks.deliveries")}: ${p.name}`}>
                  {t("projectWebhooks.deliveries")}
                </Button>
                {rights.manageProject && (
                  <>
                    <Button size="xs" variant="default" onClick={() => setEditing(p)} aria-label={`${t("projectTabs.edit")} ${p.name}`}>
                      {t("projectTabs.edit")}
                    </Button>
                    <Button size="xs" variant="default" loading={toggle.isPending && toggle.variables?.id === p.id} onClick={() => toggle.mutate(p)} aria-label={`${p.enabled ? t("projectWebhooks.disable") : t("projectWebhooks.enable")} ${p.name}`}>
                      {p.enabled ? t("projectWebhooks.disable") : t("projectWebhooks.enable")}
                    </Button>
                    <ConfirmDelete name={p.name ?? ""} onConfirm={() => deleteWebhook(project, p.id!).then(refresh)} />
                  </>
                )}
              </Group>
            ),
          },
        ]}
      />
      {editing && <WebhookForm project={project} policy={editing} onClose={() => setEditing(null)} />}
      <Dialog opened={history !== null} onClose={() => setHistory(null)} title={t("projectWebhooks.historyOf", { name: history?.name ?? "" })} size="xl" centered>
        {history && <WebhookDeliveries project={project} policy={history.id!} />}
      </Dialog>
    </>
  );
}

function WebhookForm({ project, policy, onClose }: { project: string; policy: WebhookPolicy; onClose: () => void }) {
  const { t } = useTranslation();
  const events = useWebhookEvents(project);
  const target = policy.targets?.[0] ?? {};
  const [name, setName] = useState(policy.name ?? "");
  const [description, setDescription] = useState(policy.description ?? "");
  const [address, setAddress] = useState(target.address ?? "");
  const [authHeader, setAuthHeader] = useState(target.auth_header ?? "");
  const [skipVerify, setSkipVerify] = useState(target.skip_cert_verify ?? false);
  const [type, setType] = useState(target.type ?? "http");
  const [format, setFormat] = useState(target.payload_format ?? "Default");
  const [eventTypes, setEventTypes] = useState<string[]>(policy.event_types ?? []);
  const [enabled, setEnabled] = useState(policy.enabled ?? true);
  const formats = events.data?.payload_formats?.find((f) => f.notify_type === type)?.formats ?? ["Default"];
  const save = useWrite(
    () =>
      saveWebhook(project, {
        ...(policy.id !== undefined && { id: policy.id }),
        name,
        description,
        enabled,
        event_types: eventTypes,
        // The form edits the first target; any others (added through the API) are kept as they are.
        targets: [{ type, address, skip_cert_verify: skipVerify, payload_format: formats.includes(format) ? format : formats[0], ...(authHeader && { auth_header: authHeader }) }, ...(policy.targets ?? []).slice(1)],
      }),
    [keys.webhooks(project)],
  );
  return (
    <FormDialog opened onClose={onClose} title={policy.id ? t("projectWebhooks.edit") : t("projectWebhooks.new")} size="lg" error={events.error ?? save.error} submitting={save.isPending} submitLabel={t("common.save")} onSubmit={() => save.mutateAsync(undefined)}>
      <TextInput label={t("common.name")} required value={name} onChange={(e) => setName(e.currentTarget.value)} />
      <TextInput label={t("projectWebhooks.description")} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
      <Group grow>
        <Select label={t("projectWebhooks.notifyType")} data={events.data?.notify_type ?? ["http"]} value={type} allowDeselect={false} onChange={(v) => setType(v ?? "http")} />
        <Select label={t("projectWebhooks.payloadFormat")} data={formats} value={formats.includes(format) ? format : formats[0]} allowDeselect={false} onChange={(v) => setFormat(v ?? "Default")} />
      </Group>
      <TextInput label={t("projectWebhooks.address")} required type="url" placeholder="https://ci.example.com/hooks/berth" value={address} onChange={(e) => setAddress(e.currentTarget.value)} />
      <TextInput label={t("projectWebhooks.authHeader")} value={authHeader} onChange={(e) => setAuthHeader(e.currentTarget.value)} />
      <Checkbox label={t("projectWebhooks.skipVerify")} checked={skipVerify} onChange={(e) => setSkipVerify(e.currentTarget.checked)} />
      <Checkbox.Group label={t("projectWebhooks.events")} value={eventTypes} onChange={setEventTypes}>
        <Group mt="xs" gap="sm">
          {(events.data?.event_type ?? []).map((ev) => (
            <Checkbox key={ev} value={ev} label={ev} />
          ))}
        </Group>
      </Checkbox.Group>
      {eventTypes.length === 0 && (
        <Text size="sm" c="dimmed">
          {t("projectWebhooks.pickEvents")}
        </Text>
      )}
      <Switch label={t("projectWebhooks.enabled")} checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
    </FormDialog>
  );
}
