// User groups: listed page by page from the server, created (an LDAP group by its DN when LDAP is
// the authentication mode, an OIDC group by the name the provider's groups claim carries), deleted.
import { Button, Group, Select, Stack, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json, page } from "../../api/client.js";
import { adminKeys, GROUP_TYPES, type UserGroup } from "../../api/admin-queries.js";
import { useWrite } from "../../api/queries.js";
import { useSystemInfo } from "../../app/session.js";
import { ConfirmDelete } from "../../components/feedback.js";
import { FormDialog } from "../../components/form-dialog.js";
import { PagedTable } from "../../components/paged-table.js";

export function UserGroupsPage() {
  const { t } = useTranslation();
  const [creating, setCreating] = useState(false);
  const remove = useWrite((id: number) => json(`/usergroups/${id}`, { method: "DELETE" }), [adminKeys.groups]);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t("userGroups.title")}
        </Title>
        <Button onClick={() => setCreating(true)}>{t("userGroups.new")}</Button>
      </Group>
      <PagedTable
        queryKey={adminKeys.groups}
        fetchPage={(q) => page<UserGroup>("/usergroups", q)}
        pageSize={20}
        rowKey={(g) => g.id ?? 0}
        empty={t("userGroups.empty")}
        testId="group-table"
        columns={[
          { header: t("common.name"), cell: (g: UserGroup) => g.group_name },
          { header: t("userGroups.type"), cell: (g) => t(`userGroups.types.${g.group_type ?? 3}`, { defaultValue: String(g.group_type) }) },
          { header: t("userGroups.ldapDn"), cell: (g) => <span className="berth-mono">{g.ldap_group_dn}</span> },
          { header: t("common.actions"), cell: (g) => <ConfirmDelete name={g.group_name ?? ""} onConfirm={() => remove.mutateAsync(g.id!)} /> },
        ]}
      />
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
    <FormDialog
      opened={opened}
      onClose={onClose}
      title={t("userGroups.new")}
      error={create.error}
      submitting={create.isPending}
      onSubmit={() => create.mutateAsync(undefined)}
      onDone={() => {
        setName("");
        setDn("");
        onClose();
      }}
    >
      <Select label={t("userGroups.type")} data={types} value={type} onChange={setType} allowDeselect={false} />
      <TextInput label={t("common.name")} required={!isLdap} value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
      {isLdap && <TextInput label={t("userGroups.ldapDn")} required value={dn} onChange={(e) => setDn(e.currentTarget.value)} placeholder="cn=developers,ou=groups,dc=example,dc=com" />}
    </FormDialog>
  );
}
