// User groups: listed page by page from the server, created (an LDAP group by its DN when LDAP is
// the authentication mode, an OIDC group by the name the provider's groups claim carries), deleted.
import { Button, Group, Select, Stack, Table, TextInput, Title } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json, page } from "../../api/client.js";
import { adminKeys, GROUP_TYPES, type UserGroup } from "../../api/admin-queries.js";
import { useWrite } from "../../api/queries.js";
import { useSystemInfo } from "../../app/session.js";
import { ConfirmDelete, EmptyState, ErrorAlert, Pager } from "../../components/feedback.js";
import { Dialog } from "../../components/dialog.js";

const PAGE_SIZE = 20;

export function UserGroupsPage() {
  const { t } = useTranslation();
  const [pageNo, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const groups = useQuery({
    queryKey: [...adminKeys.groups, pageNo],
    queryFn: () => page<UserGroup>("/usergroups", { page: pageNo, page_size: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const remove = useWrite((id: number) => json(`/usergroups/${id}`, { method: "DELETE" }), [adminKeys.groups]);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t("userGroups.title")}
        </Title>
        <Button onClick={() => setCreating(true)}>{t("userGroups.new")}</Button>
      </Group>
      <ErrorAlert error={groups.error} />
      {groups.data && groups.data.items.length === 0 ? (
        <EmptyState>{t("userGroups.empty")}</EmptyState>
      ) : (
        <Table striped data-testid="group-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("common.name")}</Table.Th>
              <Table.Th>{t("userGroups.type")}</Table.Th>
              <Table.Th>{t("userGroups.ldapDn")}</Table.Th>
              <Table.Th>{t("common.actions")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {groups.data?.items.map((g) => (
              <Table.Tr key={g.id}>
                <Table.Td>{g.group_name}</Table.Td>
                <Table.Td>{t(`userGroups.types.${g.group_type ?? 3}`, { defaultValue: String(g.group_type) })}</Table.Td>
                <Table.Td className="berth-mono">{g.ldap_group_dn}</Table.Td>
                <Table.Td>
                  <ConfirmDelete name={g.group_name ?? ""} onConfirm={() => remove.mutateAsync(g.id!)} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {groups.data && <Pager page={pageNo} pageSize={PAGE_SIZE} total={groups.data.total} onChange={setPage} />}
      <NewGroup opened={creating} onClose={() => setCreating(false)} />
    </Stack>
  );
}

function NewGroup({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const ldap = (useSystemInfo().data as { auth_mode?: string } | undefined)?.auth_mode === "ldap_auth";
  const [name, setName] = useState("");
  const [chosen, setType] = useState<string | null>(null);
  const [dn, setDn] = useState("");
  const type = chosen ?? String(ldap ? GROUP_TYPES.ldap : GROUP_TYPES.oidc);
  const isLdap = type === String(GROUP_TYPES.ldap);
  const create = useWrite(
    () => json("/usergroups", { method: "POST", body: { group_name: name, group_type: Number(type), ...(isLdap && { ldap_group_dn: dn }) } }),
    [adminKeys.groups],
  );
  const types = [...(ldap ? [GROUP_TYPES.ldap] : []), GROUP_TYPES.oidc].map((v) => ({ value: String(v), label: t(`userGroups.types.${v}`) }));
  return (
    <Dialog opened={opened} onClose={onClose} title={t("userGroups.new")} centered>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await create.mutateAsync(undefined).then(() => {
            setName("");
            setDn("");
            onClose();
          }, () => undefined);
        }}
      >
        <Stack>
          <ErrorAlert error={create.error} />
          <Select label={t("userGroups.type")} data={types} value={type} onChange={setType} allowDeselect={false} />
          <TextInput label={t("common.name")} required={!isLdap} value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
          {isLdap && <TextInput label={t("userGroups.ldapDn")} required value={dn} onChange={(e) => setDn(e.currentTarget.value)} placeholder="cn=developers,ou=groups,dc=example,dc=com" />}
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
