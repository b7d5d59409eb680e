import { Button, Group, Select, TextInput } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json } from "../../api/client.js";
import { useWrite } from "../../api/queries.js";
import type { ProjectMember } from "../../api/types.js";
import { ConfirmDelete, ErrorAlert } from "../../components/feedback.js";
import { DataTable } from "../../components/paged-table.js";
import type { ProjectRights } from "./roles.js";

const ROLE_IDS = ["1", "4", "2", "3", "5"];

export function MembersTab({ project, rights }: { project: string; rights: ProjectRights }) {
  const { t } = useTranslation();
  const base = `/projects/${encodeURIComponent(project)}/members`;
  const headers = { "X-Is-Resource-Name": "true" };
  const members = useQuery({ queryKey: ["members", project], queryFn: () => json<ProjectMember[]>(base, { headers, query: { page_size: 100 } }) });
  const [kind, setKind] = useState<"user" | "group">("user");
  const [username, setUsername] = useState("");
  const [role, setRole] = useState("2");
  // A group is named by its LDAP DN (it has a '='), or by its name (an OIDC group).
  const member = () => (kind === "user" ? { member_user: { username } } : { member_group: /=/.test(username) ? { ldap_group_dn: username } : { group_name: username } });
  const add = useWrite(() => json(base, { method: "POST", headers, body: { role_id: Number(role), ...member() } }), [["members", project]]);
  const update = useWrite((m: { id: number; role: number }) => json(`${base}/${m.id}`, { method: "PUT", headers, body: { role_id: m.role } }), [["members", project]]);
  const remove = useWrite((id: number) => json(`${base}/${id}`, { method: "DELETE", headers }), [["members", project]]);
  const roleOptions = ROLE_IDS.map((id) => ({ value: id, label: t(`roles.${id}`) }));
  return (
    <>
      {rights.manageMembers && (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            await add.mutateAsync(undefined).then(() => setUsername(""), () => undefined);
          }}
        >
          <Group align="end">
            <Select
              label={t("members.type")}
              data={[
                { value: "user", label: t("members.user") },
                { value: "group", label: t("members.group") },
              ]}
              value={kind}
              onChange={(v) => setKind(v === "group" ? "group" : "user")}
              allowDeselect={false}
              w={120}
            />
            <TextInput label={kind === "user" ? t("members.username") : t("members.groupName")} required value={username} onChange={(e) => setUsername(e.currentTarget.value)} />
            <Select label={t("members.role")} data={roleOptions} value={role} onChange={(v) => setRole(v ?? "2")} allowDeselect={false} />
            <Button type="submit" loading={add.isPending}>
              {t("members.add")}
            </Button>
          </Group>
          <ErrorAlert error={add.error} />
        </form>
      )}
      <ErrorAlert error={members.error ?? update.error} />
      <DataTable
        rows={members.data}
        rowKey={(m) => m.id ?? 0}
        empty={t("members.empty")}
        columns={[
          { header: t("common.name"), cell: (m: ProjectMember) => m.entity_name },
          { header: t("members.type"), cell: (m) => (m.entity_type === "g" ? t("members.group") : t("members.user")) },
          {
            header: t("members.role"),
            cell: (m) =>
              rights.manageMembers ? (
                <Select
                  aria-label={`${t("members.role")}: ${m.entity_name}`}
                  size="xs"
                  data={roleOptions}
                  value={String(m.role_id)}
                  allowDeselect={false}
                  onChange={(v) => v && update.mutate({ id: m.id!, role: Number(v) })}
                />
              ) : (
                t(`roles.${m.role_id}`)
              ),
          },
          rights.manageMembers && { header: t("common.actions"), cell: (m) => <ConfirmDelete name={m.entity_name ?? ""} onConfirm={() => remove.mutateAsync(m.id!)} /> },
        ]}
      />
    </>
  );
}
