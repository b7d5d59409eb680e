import { Alert, Badge, Button, Code, Group, NumberInput, Radio, Stack, TextInput } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json } from "../../api/client.js";
import { useWrite } from "../../api/queries.js";
import type { Project, Robot, RobotCreated } from "../../api/types.js";
import { ConfirmDelete, CopyText, ErrorAlert } from "../../components/feedback.js";
import { DataTable } from "../../components/paged-table.js";
import { formatTime } from "../../components/format.js";
import type { ProjectRights } from "./roles.js";
import { Dialog } from "../../components/dialog.js";

const PULL = [{ resource: "repository", action: "pull" }];
const PUSH = [...PULL, { resource: "repository", action: "push" }];

export function RobotsTab({ project, rights }: { project: Project; rights: ProjectRights }) {
  const { t } = useTranslation();
  const key = ["robots", project.project_id];
  const robots = useQuery({ queryKey: key, queryFn: () => json<Robot[]>("/robots", { query: { q: `Level=project,ProjectID=${project.project_id}`, page_size: 100 } }) });
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<RobotCreated | null>(null);
  const remove = useWrite((id: number) => json(`/robots/${id}`, { method: "DELETE" }), [key]);
  return (
    <>
      {rights.manageRobots && (
        <Group>
          <Button onClick={() => setCreating(true)}>{t("robots.new")}</Button>
        </Group>
      )}
      <ErrorAlert error={robots.error} />
      <DataTable
        rows={robots.data}
        rowKey={(r) => r.id ?? 0}
        empty={t("robots.empty")}
        columns={[
          {
            header: t("common.name"),
            cell: (r: Robot) => (
              <>
                {r.name} {r.disable && <Badge color="gray">{t("robots.disabled")}</Badge>}
              </>
            ),
          },
          { header: t("robots.description"), cell: (r) => r.description },
          { header: t("robots.expires"), cell: (r) => (r.expires_at === -1 || r.expires_at === undefined ? t("common.never") : formatTime(new Date(r.expires_at * 1000).toISOString())) },
          rights.manageRobots && { header: t("common.actions"), cell: (r) => <ConfirmDelete name={r.name ?? ""} onConfirm={() => remove.mutateAsync(r.id!)} /> },
        ]}
      />
      <CreateRobot project={project} opened={creating} onClose={() => setCreating(false)} onCreated={setCreated} />
      <Dialog opened={created !== null} onClose={() => setCreated(null)} title={t("robots.secretTitle")} centered closeOnClickOutside={false}>
        {created && (
          <Stack>
            <Alert color="yellow">{t("robots.secretOnce")}</Alert>
            <Group gap="xs" wrap="nowrap">
              <Code data-testid="robot-name">{created.name}</Code>
              <CopyText value={created.name ?? ""} label={t("common.name")} />
            </Group>
            <Group gap="xs" wrap="nowrap">
              <Code data-testid="robot-secret">{created.secret}</Code>
              <CopyText value={created.secret ?? ""} label="secret" />
            </Group>
            <Group justify="flex-end">
              <Button onClick={() => setCreated(null)}>{t("common.close")}</Button>
            </Group>
          </Stack>
        )}
      </Dialog>
    </>
  );
}

function CreateRobot({ project, opened, onClose, onCreated }: { project: Project; opened: boolean; onClose: () => void; onCreated: (r: RobotCreated) => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [duration, setDuration] = useState<number | string>(30);
  const [access, setAccess] = useState("push");
  const create = useWrite(
    () =>
      json<RobotCreated>("/robots", {
        method: "POST",
        body: {
          name,
          description,
          level: "project",
          duration: Number(duration),
          permissions: [{ kind: "project", namespace: project.name, access: access === "push" ? PUSH : PULL }],
        },
      }),
    [["robots", project.project_id]],
  );
  return (
    <Dialog opened={opened} onClose={onClose} title={t("robots.new")} centered>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const robot = await create.mutateAsync(undefined).catch(() => null);
          if (robot) {
            setName("");
            onClose();
            onCreated(robot);
          }
        }}
      >
        <Stack>
          <ErrorAlert error={create.error} />
          <TextInput label={t("common.name")} required value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <TextInput label={t("robots.description")} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
          <NumberInput label={t("robots.duration")} min={-1} value={duration} onChange={setDuration} />
          <Radio.Group label={t("robots.permissions")} value={access} onChange={setAccess}>
            <Group mt="xs">
              <Radio value="push" label={t("robots.push")} />
              <Radio value="pull" label={t("robots.pull")} />
            </Group>
          </Radio.Group>
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
