import { Alert, Badge, Button, Checkbox, Group, PasswordInput, Select, Stack, Table, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json } from "../../api/client.js";
import { useWrite } from "../../api/queries.js";
import type { Registry } from "../../api/types.js";
import { ConfirmDelete, EmptyState, ErrorAlert } from "../../components/feedback.js";
import { Dialog } from "../../components/dialog.js";

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
      {registries.data && registries.data.length === 0 ? (
        <EmptyState>{t("registries.empty")}</EmptyState>
      ) : (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("common.name")}</Table.Th>
              <Table.Th>{t("registries.type")}</Table.Th>
              <Table.Th>{t("registries.url")}</Table.Th>
              <Table.Th>{t("registries.status")}</Table.Th>
              <Table.Th>{t("common.actions")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {registries.data?.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>{r.name}</Table.Td>
                <Table.Td>{r.type}</Table.Td>
                <Table.Td className="berth-mono">{r.url}</Table.Td>
                <Table.Td>
                  <Badge variant="light" color={r.status === "healthy" ? "teal" : "red"}>
                    {r.status}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <ConfirmDelete name={r.name ?? ""} onConfirm={() => remove.mutateAsync(r.id!)} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
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
    <Dialog opened={opened} onClose={onClose} title={t("registries.new")} centered size="lg">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await create.mutateAsync(undefined).then(onClose, () => undefined);
        }}
      >
        <Stack>
          <ErrorAlert error={create.error ?? ping.error} />
          {ping.isSuccess && <Alert color="teal">{t("registries.ok")}</Alert>}
          <Select label={t("registries.type")} data={["berth", "harbor", "docker-registry", "docker-hub"]} value={form.type} onChange={(v) => setForm({ ...form, type: v ?? "berth" })} allowDeselect={false} />
          <TextInput label={t("common.name")} required {...text("name")} />
          <TextInput label={t("registries.url")} required placeholder="https://registry.example.com" {...text("url")} />
          <TextInput label={t("registries.accessKey")} {...text("access_key")} />
          <PasswordInput label={t("registries.accessSecret")} value={form.access_secret} onChange={(e) => setForm({ ...form, access_secret: e.currentTarget.value })} autoComplete="off" />
          <Checkbox label={t("registries.insecure")} checked={form.insecure} onChange={(e) => setForm({ ...form, insecure: e.currentTarget.checked })} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => ping.mutate(undefined)} loading={ping.isPending}>
              {t("registries.test")}
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
