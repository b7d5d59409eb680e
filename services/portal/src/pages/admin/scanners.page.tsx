// Scanners (Pluggable Scanner API registrations: list, add after a connection test, set the
// default, test a registered one, delete) and scan-all (schedule, run now, stop, the last run).
import { Alert, Badge, Button, Checkbox, Group, PasswordInput, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json } from "../../api/client.js";
import { adminKeys, useScanners, type ScannerRegistration } from "../../api/admin-queries.js";
import { useWrite } from "../../api/queries.js";
import { ConfirmDelete, EmptyState, ErrorAlert } from "../../components/feedback.js";
import { FormDialog } from "../../components/form-dialog.js";
import { ScanAllCard } from "./scan-all-card.js";

export function ScannersPage() {
  const { t } = useTranslation();
  const scanners = useScanners();
  const [creating, setCreating] = useState(false);
  const remove = useWrite((id: string) => json(`/scanners/${id}`, { method: "DELETE" }), [adminKeys.scanners]);
  const makeDefault = useWrite((id: string) => json(`/scanners/${id}`, { method: "PATCH", body: { is_default: true } }), [adminKeys.scanners]);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t("scanners.title")}
        </Title>
        <Button onClick={() => setCreating(true)}>{t("scanners.new")}</Button>
      </Group>
      <ErrorAlert error={scanners.error ?? makeDefault.error} />
      {scanners.data && scanners.data.length === 0 ? (
        <EmptyState>{t("scanners.empty")}</EmptyState>
      ) : (
        <Table striped data-testid="scanner-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("common.name")}</Table.Th>
              <Table.Th>{t("scanners.url")}</Table.Th>
              <Table.Th>{t("scanners.status")}</Table.Th>
              <Table.Th>{t("scanners.isDefault")}</Table.Th>
              <Table.Th>{t("common.actions")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {scanners.data?.map((s) => (
              <ScannerRow key={s.uuid} scanner={s} onDefault={() => makeDefault.mutate(s.uuid!)} onDelete={() => remove.mutateAsync(s.uuid!)} />
            ))}
          </Table.Tbody>
        </Table>
      )}
      <ScanAllCard />
      <NewScanner opened={creating} onClose={() => setCreating(false)} />
    </Stack>
  );
}

function ScannerRow({ scanner: s, onDefault, onDelete }: { scanner: ScannerRegistration; onDefault: () => void; onDelete: () => Promise<unknown> }) {
  const { t } = useTranslation();
  const [testing, setTesting] = useState(false);
  const metadata = useQuery({
    queryKey: [...adminKeys.scanners, s.uuid, "metadata"],
    enabled: testing,
    retry: false,
    queryFn: () => json<{ scanner?: { name?: string; version?: string } }>(`/scanners/${s.uuid}/metadata`),
  });
  return (
    <Table.Tr>
      <Table.Td>{s.name}</Table.Td>
      <Table.Td className="berth-mono">{s.url}</Table.Td>
      <Table.Td>
        <Badge variant="light" color={s.disabled ? "gray" : "teal"}>
          {s.disabled ? t("scanners.disabled") : t("scanners.enabled")}
        </Badge>
        {metadata.data && (
          <Text size="xs" role="status">
            {t("scanners.answered", { name: metadata.data.scanner?.name ?? "", version: metadata.data.scanner?.version ?? "" })}
          </Text>
        )}
        <ErrorAlert error={metadata.error} />
      </Table.Td>
      <Table.Td>{s.is_default && <Badge variant="filled">{t("scanners.isDefault")}</Badge>}</Table.Td>
      <Table.Td>
        <Group gap="xs">
          <Button size="xs" variant="default" onClick={() => (testing ? void metadata.refetch() : setTesting(true))} loading={metadata.isFetching} aria-label={`${t("scanners.ping")}: ${s.name}`}>
            {t("scanners.ping")}
          </Button>
          {!s.is_default && (
            <Button size="xs" variant="light" onClick={onDefault} aria-label={`${t("scanners.makeDefault")}: ${s.name}`}>
              {t("scanners.makeDefault")}
            </Button>
          )}
          <ConfirmDelete name={s.name ?? ""} onConfirm={onDelete} />
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

const AUTH = ["", "Basic", "Bearer", "X-ScannerAdapter-API-Key"];

function NewScanner({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState({ name: "", url: "", auth: "", access_credential: "", skip_certVerify: false });
  const set = (patch: Partial<typeof form>) => setForm((f) => ({ ...f, ...patch }));
  const ping = useWrite(() => json("/scanners/ping", { method: "POST", body: form }), []);
  const create = useWrite(() => json("/scanners", { method: "POST", body: form }), [adminKeys.scanners]);
  return (
    <FormDialog
      opened={opened}
      onClose={onClose}
      title={t("scanners.new")}
      error={create.error ?? ping.error}
      submitting={create.isPending}
      onSubmit={() => create.mutateAsync(undefined)}
      secondary={
        <Button variant="default" onClick={() => ping.mutate(undefined)} loading={ping.isPending}>
          {t("scanners.ping")}
        </Button>
      }
    >
      {ping.isSuccess && (
        <Alert color="teal" role="status">
          {t("scanners.pingOk")}
        </Alert>
      )}
      <TextInput label={t("common.name")} required value={form.name} onChange={(e) => set({ name: e.currentTarget.value })} data-autofocus />
      <TextInput label={t("scanners.url")} required value={form.url} onChange={(e) => set({ url: e.currentTarget.value })} placeholder="http://scanner:8080" />
      <Select label={t("scanners.auth")} value={form.auth} onChange={(v) => set({ auth: v ?? "" })} allowDeselect={false} data={AUTH.map((a) => ({ value: a, label: a || t("gc.none") }))} />
      {form.auth && <PasswordInput label={t("scanners.credential")} value={form.access_credential} onChange={(e) => set({ access_credential: e.currentTarget.value })} />}
      <Checkbox label={t("registries.insecure")} checked={form.skip_certVerify} onChange={(e) => set({ skip_certVerify: e.currentTarget.checked })} />
    </FormDialog>
  );
}
