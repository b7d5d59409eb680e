import { Anchor, Badge, Breadcrumbs, Card, Group, Progress, SimpleGrid, Stack, Tabs, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router-dom";
import { json } from "../../api/client.js";
import type { ProjectSummary } from "../../api/types.js";
import { useCurrentUser } from "../../app/session.js";
import { ErrorAlert } from "../../components/feedback.js";
import { formatBytes } from "../../components/format.js";
import { MembersTab } from "./members.tab.js";
import { ProjectLogsTab } from "./project-logs.tab.js";
import { RepositoriesTab } from "./repositories.tab.js";
import { RobotsTab } from "./robots.tab.js";
import { ProjectPolicyTabs } from "./policy-tabs.js";
import { rightsIn, useProject } from "./roles.js";

export function ProjectPage() {
  const { t } = useTranslation();
  const { project: name = "", tab = "repositories" } = useParams();
  const navigate = useNavigate();
  const project = useProject(name);
  const sysadmin = useCurrentUser().data?.sysadmin_flag === true;
  const rights = rightsIn(project.data, sysadmin);
  return (
    <Stack>
      <Breadcrumbs>
        <Anchor component={Link} to="/projects">
          {t("nav.projects")}
        </Anchor>
        <Text>{name}</Text>
      </Breadcrumbs>
      <Group>
        <Title order={1} size="h2">
          {name}
        </Title>
        {project.data && (
          <Badge variant="light" color={project.data.metadata?.public === "true" ? "teal" : "gray"}>
            {project.data.metadata?.public === "true" ? t("projects.public") : t("projects.private")}
          </Badge>
        )}
      </Group>
      <ErrorAlert error={project.error} />
      {project.data && (
        <Tabs value={tab} onChange={(v) => navigate(`/projects/${name}/${v ?? "repositories"}`)} keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="summary">{t("project.summary")}</Tabs.Tab>
            <Tabs.Tab value="repositories">{t("project.repositories")}</Tabs.Tab>
            <Tabs.Tab value="members">{t("project.members")}</Tabs.Tab>
            <Tabs.Tab value="robots">{t("project.robots")}</Tabs.Tab>
            <Tabs.Tab value="logs">{t("project.logs")}</Tabs.Tab>
            <Tabs.Tab value="labels">{t("projectTabs.labels")}</Tabs.Tab>
            {rights.manageRetention && <Tabs.Tab value="retention">{t("projectTabs.retention")}</Tabs.Tab>}
            {rights.manageImmutability && <Tabs.Tab value="immutability">{t("projectTabs.immutability")}</Tabs.Tab>}
            {rights.readWebhooks && <Tabs.Tab value="webhooks">{t("projectTabs.webhooks")}</Tabs.Tab>}
            <Tabs.Tab value="settings">{t("projectTabs.settings")}</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="summary" pt="md">
            <Summary name={name} />
          </Tabs.Panel>
          <Tabs.Panel value="repositories" pt="md">
            <RepositoriesTab project={name} rights={rights} />
          </Tabs.Panel>
          <Tabs.Panel value="members" pt="md">
            <MembersTab project={name} rights={rights} />
          </Tabs.Panel>
          <Tabs.Panel value="robots" pt="md">
            <RobotsTab project={project.data} rights={rights} />
          </Tabs.Panel>
          <Tabs.Panel value="logs" pt="md">
            <ProjectLogsTab project={name} />
          </Tabs.Panel>
          <ProjectPolicyTabs project={project.data} rights={rights} sysadmin={sysadmin} />
        </Tabs>
      )}
    </Stack>
  );
}

function Summary({ name }: { name: string }) {
  const { t } = useTranslation();
  const summary = useQuery({ queryKey: ["project", name, "summary"], queryFn: () => json<ProjectSummary>(`/projects/${encodeURIComponent(name)}/summary`, { headers: { "X-Is-Resource-Name": "true" } }) });
  const s = summary.data;
  const hard = s?.quota?.hard?.["storage"] as number | undefined;
  const used = s?.quota?.used?.["storage"] as number | undefined;
  return (
    <>
      <ErrorAlert error={summary.error} />
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Card withBorder>
          <Text c="dimmed" size="sm">
            {t("project.repoCount")}
          </Text>
          <Text size="xl" fw={700}>
            {s?.repo_count ?? "—"}
          </Text>
        </Card>
        <Card withBorder>
          <Text c="dimmed" size="sm">
            {t("project.quota")}
          </Text>
          <Text size="xl" fw={700} data-testid="summary-quota">
            {used === undefined ? "—" : t("projectTabs.quotaOf", { used: formatBytes(used), limit: hard === undefined || hard < 0 ? t("project.unlimited") : formatBytes(hard) })}
          </Text>
          {used !== undefined && hard !== undefined && hard > 0 && <Progress mt="xs" value={Math.min(100, (used / hard) * 100)} aria-label={t("project.quota")} color={used / hard > 0.9 ? "red" : "blue"} />}
        </Card>
        <Card withBorder>
          <Text c="dimmed" size="sm">
            {t("project.members")}
          </Text>
          <Text size="xl" fw={700}>
            {s ? (s.project_admin_count ?? 0) + (s.maintainer_count ?? 0) + (s.developer_count ?? 0) + (s.guest_count ?? 0) + (s.limited_guest_count ?? 0) : "—"}
          </Text>
        </Card>
      </SimpleGrid>
    </>
  );
}
