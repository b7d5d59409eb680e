import { Alert, Badge, Button, Checkbox, Group, PasswordInput, Select, Stack, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json } from "../../api/client.js";
import { useWrite } from "../../api/queries.js";
import type { Registry } from "../../api/types.js";
import { ConfirmDelete, ErrorAlert } from "../../components/feedback.js";
import { FormDialog } from "../../components/form-dialog.js";
import { DataTable } from "../../components/paged-table.js";

function useRegistries() {
  return useQuery({ queryKey: ["registries"], queryFn: () => json<Registry[]>("/registries", { query: { page_size: 100 } }) });
}

export function RegistriesPage() {
  const { t } = useTranslation();
  const registries = useRegistries();
  const [creating, setCreating] = useState(false);
  const remove = useWrite((id: number) => json(`/registries/${id}`, { method: "DELETE" }), [["registries"]]);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t("registries.title")}
        </Title>
        <Button onClick={() => setCreating(true)}>{t("registries.new")}</Button>
      </Group>
      <ErrorAlert error={registries.error} />
      <DataTable
        rows={registries.data}
        rowKey={(r) => r.id ?? 0}
        empty={t("registries.empty")}
        columns={[
          { header: t("common.name"), cell: (r: Registry) => r.name },
          { header: t("registries.type"), cell: (r) => r.type },
          { header: t("registries.url"), cell: (r) => <span className="berth-mono">{r.url}</span> },
          {
            header: t("registries.status"),
            cell: (r) => (
              <Badge variant="light" color={r.status === "healthy" ? "teal" : "red"}>
                {r.status}
              </Badge>
            ),
          },
          { header: t("common.actions"), cell: (r) => <ConfirmDelete name={r.name ?? ""} onConfirm={() => remove.mutateAsync(r.id!)} /> },
        ]}
      />
      <CreateRegistry opened={creating} onClose={() => setCreating(false)} />
    </Stack>
  );
}

function CreateRegistry({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState({ name: "", type: "berth", url: "", access_key: "", access_secret: "", insecure: false });
  const body = () => ({
    name: form.name,
    type: form.type,
    url: form.url,
    insecure: form.insecure,
    ...(form.access_key ? { credential: { type: "basic", access_key: form.access_key, access_secret: form.access_secret } } : {}),
  });
  const ping = useWrite(() => json("/registries/ping", { method: "POST", body: { type: form.type, url: form.url, insecure: form.insecure, ...(form.access_key ? { credential_type: "basic", access_key: form.access_key, access_secret: form.access_secret } : {}) } }), []);
  const create = useWrite(() => json("/registries", { method: "POST", body: body() }), [["registries"]]);
  const text = (k: "name" | "url" | "access_key") => ({ value: form[k], onChange: (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.currentTarget.value }) });
  return (
    <FormDialog
      opened={opened}
      onClose={onClose}
      title={t("registries.new")}
      size="lg"
      error={create.error ?? ping.error}
      submitting={create.isPending}
      onSubmit={() => create.mutateAsync(undefined)}
      secondary={
        <Button variant="default" onClick={() => ping.mutate(undefined)} loading={ping.isPending}>
          {t("registries.test")}
        </Button>
      }
    >
      {ping.isSuccess && <Alert color="teal">{t("registries.ok")}</Alert>}
      <Select label={t("registries.type")} data={["berth", "harbor", "docker-registry", "docker-hub"]} value={form.type} onChange={(v) => setForm({ ...form, type: v ?? "berth" })} allowDeselect={false} />
      <TextInput label={t("common.name")} required {...text("name")} />
      <TextInput label={t("registries.url")} required placeholder="https://registry.example.com" {...text("url")} />
      <TextInput label={t("registries.accessKey")} {...text("access_key")} />
      <PasswordInput label={t("registries.accessSecret")} value={form.access_secret} onChange={(e) => setForm({ ...form, access_secret: e.currentTarget.value })} autoComplete="off" />
      <Checkbox label={t("registries.insecure")} checked={form.insecure} onChange={(e) => setForm({ ...form, insecure: e.currentTarget.checked })} />
    </FormDialog>
  );
}
