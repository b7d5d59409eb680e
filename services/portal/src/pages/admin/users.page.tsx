import { Badge, Button, Group, PasswordInput, Stack, Table, TextInput, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json, page } from "../../api/client.js";
import { useWrite } from "../../api/queries.js";
import type { UserResp } from "../../api/types.js";
import { useCurrentUser } from "../../app/session.js";
import { ConfirmDelete, EmptyState, ErrorAlert, Pager } from "../../components/feedback.js";
import { formatTime } from "../../components/format.js";
import { Dialog } from "../../components/dialog.js";

const PAGE_SIZE = 20;

export function UsersPage() {
  const { t } = useTranslation();
  const me = useCurrentUser().data;
  const [search, setSearch] = useState("");
  const [username] = useDebouncedValue(search, 250);
  const [pageNo, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const users = useQuery({
    queryKey: ["users", { username, pageNo }],
    queryFn: () => page<UserResp>("/users", { username, page: pageNo, page_size: PAGE_SIZE, sort: "username" }),
    placeholderData: keepPreviousData,
  });
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
      <TextInput label={t("common.search")} value={search} onChange={(e) => { setSearch(e.currentTarget.value); setPage(1); }} w={260} />
      <ErrorAlert error={users.error ?? setAdmin.error} />
      {users.data && users.data.items.length === 0 ? (
        <EmptyState>{t("users.empty")}</EmptyState>
      ) : (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("users.username")}</Table.Th>
              <Table.Th>{t("users.email")}</Table.Th>
              <Table.Th>{t("users.admin")}</Table.Th>
              <Table.Th>{t("common.created")}</Table.Th>
              <Table.Th>{t("common.actions")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {users.data?.items.map((u) => {
              const self = u.user_id === me?.user_id;
              return (
                <Table.Tr key={u.user_id}>
                  <Table.Td>{u.username}</Table.Td>
                  <Table.Td>{u.email}</Table.Td>
                  <Table.Td>{u.sysadmin_flag && <Badge color="grape">{t("users.admin")}</Badge>}</Table.Td>
                  <Table.Td>{formatTime(u.creation_time)}</Table.Td>
                  <Table.Td>
                    {!self && (
                      <Group gap="xs">
                        <Button size="xs" variant="default" onClick={() => setAdmin.mutate({ id: u.user_id!, flag: !u.sysadmin_flag })}>
                          {u.sysadmin_flag ? t("users.revokeAdmin") : t("users.makeAdmin")}
                        </Button>
                        <ConfirmDelete name={u.username ?? ""} onConfirm={() => remove.mutateAsync(u.user_id!)} />
                      </Group>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
      {users.data && <Pager page={pageNo} pageSize={PAGE_SIZE} total={users.data.total} onChange={setPage} />}
      <CreateUser opened={creating} onClose={() => setCreating(false)} />
    </Stack>
  );
}

function CreateUser({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState({ username: "", email: "", realname: "", password: "" });
  const create = useWrite(() => json("/users", { method: "POST", body: form }), [["users"]]);
  const field = (k: keyof typeof form) => ({ value: form[k], onChange: (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.currentTarget.value }) });
  return (
    <Dialog opened={opened} onClose={onClose} title={t("users.new")} centered>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await create.mutateAsync(undefined).then(() => {
            setForm({ username: "", email: "", realname: "", password: "" });
            onClose();
          }, () => undefined);
        }}
      >
        <Stack>
          <ErrorAlert error={create.error} />
          <TextInput label={t("users.username")} required {...field("username")} />
          <TextInput label={t("users.email")} type="email" {...field("email")} />
          <TextInput label={t("users.realname")} {...field("realname")} />
          <PasswordInput label={t("users.password")} required autoComplete="new-password" {...field("password")} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t("common.cancel")}
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
