import { Button, Checkbox, Code, Group, Radio, ScrollArea, Select, Stack, Table, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json, text } from "../../api/client.js";
import { useWrite } from "../../api/queries.js";
import type { Registry, ReplicationExecution, ReplicationPolicy, ReplicationTask } from "../../api/types.js";
import { ConfirmDelete, EmptyState, ErrorAlert } from "../../components/feedback.js";
import { formatTime } from "../../components/format.js";
import { DataTable } from "../../components/paged-table.js";
import { FINAL, StatusBadge } from "../../components/status-badge.js";
import { Dialog } from "../../components/dialog.js";
import { FormDialog } from "../../components/form-dialog.js";


export function ReplicationsPage() {
  const { t } = useTranslation();
  const policies = useQuery({ queryKey: ["replication-policies"], queryFn: () => json<ReplicationPolicy[]>("/replication/policies", { query: { page_size: 100 } }) });
  const [creating, setCreating] = useState(false);
  const [selected, setSelected] = useState<number | null>(null);
  const run = useWrite((id: number) => json("/replication/executions", { method: "POST", body: { policy_id: id } }), [["replication-executions"]]);
  const remove = useWrite((id: number) => json(`/replication/policies/${id}`, { method: "DELETE" }), [["replication-policies"]]);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t("replications.title")}
        </Title>
        <Button onClick={() => setCreating(true)}>{t("replications.new")}</Button>
      </Group>
      <ErrorAlert error={policies.error ?? run.error} />
      {policies.data && policies.data.length === 0 ? (
        <EmptyState>{t("replications.empty")}</EmptyState>
      ) : (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("common.name")}</Table.Th>
              <Table.Th>{t("replications.mode")}</Table.Th>
              <Table.Th>{t("replications.registry")}</Table.Th>
              <Table.Th>{t("replications.trigger")}</Table.Th>
              <Table.Th>{t("common.actions")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {policies.data?.map((p) => (
              <Table.Tr key={p.id} bg={selected === p.id ? "var(--mantine-color-default-hover)" : undefined}>
                <Table.Td>
                  <Button variant="subtle" size="compact-sm" onClick={() => setSelected(p.id!)}>
                    {p.name}
                  </Button>
                </Table.Td>
                <Table.Td>{p.src_registry?.id ? "pull" : "push"}</Table.Td>
                <Table.Td>{(p.src_registry?.id ? p.src_registry : p.dest_registry)?.name}</Table.Td>
                <Table.Td>{p.trigger?.type}</Table.Td>
                <Table.Td>
                  <Group gap="xs">
                    {/* The executions open once the run exists: a list first fetched while the POST was in
                        flight could miss it, and TanStack Query joins a refetch to that first fetch. */}
                    <Button size="xs" onClick={() => run.mutate(p.id!, { onSuccess: () => setSelected(p.id!) })}>
                      {t("replications.run")}
                    </Button>
                    <ConfirmDelete name={p.name ?? ""} onConfirm={() => remove.mutateAsync(p.id!)} />
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {selected !== null && <Executions policyId={selected} />}
      <CreatePolicy opened={creating} onClose={() => setCreating(false)} />
    </Stack>
  );
}

function Executions({ policyId }: { policyId: number }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<number | null>(null);
  const executions = useQuery({
    queryKey: ["replication-executions", policyId],
    queryFn: () => json<ReplicationExecution[]>("/replication/executions", { query: { policy_id: policyId, page_size: 20 } }),
    refetchInterval: (q) => (q.state.data?.some((e) => !FINAL.has(e.status ?? "")) ? 2000 : false),
  });
  return (
    <Stack>
      <Title order={2} size="h3">
        {t("replications.executions")}
      </Title>
      <ErrorAlert error={executions.error} />
      <DataTable
        rows={executions.data}
        rowKey={(e) => e.id ?? 0}
        empty={t("replications.noExecutions")}
        testId="execution-table"
        columns={[
          {
            header: "ID",
            cell: (e: ReplicationExecution) => (
              <Button variant="subtle" size="compact-sm" onClick={() => setOpen(e.id!)}>
                #{e.id}
              </Button>
            ),
          },
          { header: t("replications.status"), cell: (e) => <StatusBadge status={e.status} /> },
          { header: t("replications.trigger"), cell: (e) => e.trigger },
          { header: t("replications.started"), cell: (e) => formatTime(e.start_time) },
          { header: t("replications.tasks"), cell: (e) => `${e.succeed ?? 0}/${e.total ?? 0}` },
        ]}
      />
      {open !== null && <Tasks executionId={open} />}
    </Stack>
  );
}

function Tasks({ executionId }: { executionId: number }) {
  const { t } = useTranslation();
  const [logOf, setLogOf] = useState<number | null>(null);
  const tasks = useQuery({ queryKey: ["replication-tasks", executionId], queryFn: () => json<ReplicationTask[]>(`/replication/executions/${executionId}/tasks`, { query: { page_size: 100 } }) });
  const log = useQuery({ queryKey: ["replication-task-log", executionId, logOf], enabled: logOf !== null, queryFn: () => text(`/replication/executions/${executionId}/tasks/${logOf}/log`) });
  return (
    <Stack>
      <Title order={3} size="h4">
        {t("replications.tasks")} #{executionId}
      </Title>
      <ErrorAlert error={tasks.error} />
      <DataTable
        rows={tasks.data}
        rowKey={(task) => task.id ?? 0}
        empty={t("projectWebhooks.noTasks")}
        testId="task-table"
        columns={[
          {
            header: t("replications.resource"),
            cell: (task: ReplicationTask) => (
              <span className="berth-mono">
                {task.src_resource} → {task.dst_resource}
              </span>
            ),
          },
          { header: t("replications.status"), cell: (task) => <StatusBadge status={task.status} /> },
          {
            header: t("replications.log"),
            cell: (task) => (
              <Button size="xs" variant="default" onClick={() => setLogOf(task.id!)}>
                {t("replications.log")}
              </Button>
            ),
          },
        ]}
      />
      <Dialog opened={logOf !== null} onClose={() => setLogOf(null)} title={t("replications.log")} size="xl">
        <ErrorAlert error={log.error} />
        <ScrollArea h={400}>
          <Code block tabIndex={0} data-testid="task-log">
            {log.data ?? ""}
          </Code>
        </ScrollArea>
      </Dialog>
    </Stack>
  );
}

function CreatePolicy({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const registries = useQuery({ queryKey: ["registries"], queryFn: () => json<Registry[]>("/registries", { query: { page_size: 100 } }) });
  const [form, setForm] = useState({ name: "", mode: "push", registry: "", filter: "", namespace: "", override: true });
  const create = useWrite(() => {
    const remote = { id: Number(form.registry) };
    return json("/replication/policies", {
      method: "POST",
      body: {
        name: form.name,
        src_registry: form.mode === "pull" ? remote : null,
        dest_registry: form.mode === "push" ? remote : null,
        dest_namespace: form.namespace || undefined,
        filters: form.filter ? [{ type: "name", value: form.filter }] : [],
        trigger: { type: "manual" },
        override: form.override,
        enabled: true,
      },
    });
  }, [["replication-policies"]]);
  return (
    <FormDialog opened={opened} onClose={onClose} title={t("replications.new")} size="lg" error={create.error} submitting={create.isPending} onSubmit={() => create.mutateAsync(undefined)}>
      <TextInput label={t("common.name")} required value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} />
      <Radio.Group label={t("replications.mode")} value={form.mode} onChange={(v) => setForm({ ...form, mode: v })}>
        <Group mt="xs">
          <Radio value="push" label={t("replications.push")} />
          <Radio value="pull" label={t("replications.pull")} />
        </Group>
      </Radio.Group>
      <Select
        label={t("replications.registry")}
        required
        data={(registries.data ?? []).map((r) => ({ value: String(r.id), label: `${r.name} (${r.url})` }))}
        value={form.registry || null}
        onChange={(v) => setForm({ ...form, registry: v ?? "" })}
      />
      <TextInput label={t("replications.sourceFilter")} value={form.filter} onChange={(e) => setForm({ ...form, filter: e.currentTarget.value })} />
      <TextInput label={t("replications.destNamespace")} value={form.namespace} onChange={(e) => setForm({ ...form, namespace: e.currentTarget.value })} />
      <Checkbox label={t("replications.overwrite")} checked={form.override} onChange={(e) => setForm({ ...form, override: e.currentTarget.checked })} />
    </FormDialog>
  );
}
