import { Badge, Button, Group, PasswordInput, Stack, TextInput, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json, page } from "../../api/client.js";
import { useWrite } from "../../api/queries.js";
import type { UserResp } from "../../api/types.js";
import { useCurrentUser } from "../../app/session.js";
import { ConfirmDelete, ErrorAlert } from "../../components/feedback.js";
import { FormDialog } from "../../components/form-dialog.js";
import { formatTime } from "../../components/format.js";
import { PagedTable } from "../../components/paged-table.js";

export function UsersPage() {
  const { t } = useTranslation();
  const me = useCurrentUser().data;
  const [search, setSearch] = useState("");
  const [username] = useDebouncedValue(search, 250);
  const [creating, setCreating] = useState(false);
  const setAdmin = useWrite((u: { id: number; flag: boolean }) => json(`/users/${u.id}/sysadmin`, { method: "PUT", body: { sysadmin_flag: u.flag } }), [["users"]]);
  const remove = useWrite((id: number) => json(`/users/${id}`, { method: "DELETE" }), [["users"]]);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t("users.title")}
        </Title>
        <Button onClick={() => setCreating(true)}>{t("users.new")}</Button>
      </Group>
      <TextInput label={t("common.search")} value={search} onChange={(e) => setSearch(e.currentTarget.value)} w={260} />
      <ErrorAlert error={setAdmin.error} />
      {/* A new search starts again at page 1. */}
      <PagedTable
        key={username}
        queryKey={["users", { username }]}
        fetchPage={(q) => page<UserResp>("/users", { username, ...q, sort: "username" })}
        pageSize={20}
        rowKey={(u) => u.user_id ?? 0}
        empty={t("users.empty")}
        columns={[
          { header: t("users.username"), cell: (u: UserResp) => u.username },
          { header: t("users.email"), cell: (u) => u.email },
          { header: t("users.admin"), cell: (u) => u.sysadmin_flag && <Badge color="grape">{t("users.admin")}</Badge> },
          { header: t("common.created"), cell: (u) => formatTime(u.creation_time) },
          {
            header: t("common.actions"),
            cell: (u) =>
              u.user_id !== me?.user_id && (
                <Group gap="xs">
                  <Button size="xs" variant="default" onClick={() => setAdmin.mutate({ id: u.user_id!, flag: !u.sysadmin_flag })}>
                    {u.sysadmin_flag ? t("users.revokeAdmin") : t("users.makeAdmin")}
                  </Button>
                  <ConfirmDelete name={u.username ?? ""} onConfirm={() => remove.mutateAsync(u.user_id!)} />
                </Group>
              ),
          },
        ]}
      />
      <CreateUser opened={creating} onClose={() => setCreating(false)} />
    </Stack>
  );
}

const BLANK = { username: "", email: "", realname: "", password: "" };

function CreateUser({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState(BLANK);
  const create = useWrite(() => json("/users", { method: "POST", body: form }), [["users"]]);
  const field = (k: keyof typeof form) => ({ value: form[k], onChange: (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.currentTarget.value }) });
  return (
    <FormDialog
      opened={opened}
      onClose={onClose}
      title={t("users.new")}
      error={create.error}
      submitting={create.isPending}
      onSubmit={() => create.mutateAsync(undefined)}
      onDone={() => {
        setForm(BLANK);
        onClose();
      }}
    >
      <TextInput label={t("users.username")} required {...field("username")} />
      <TextInput label={t("users.email")} type="email" {...field("email")} />
      <TextInput label={t("users.realname")} {...field("realname")} />
      <PasswordInput label={t("users.password")} required autoComplete="new-password" {...field("password")} />
    </FormDialog>
  );
}
