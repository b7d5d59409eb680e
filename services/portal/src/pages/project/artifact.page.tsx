import { Anchor, Badge, Breadcrumbs, Button, Card, Code, Group, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router-dom";
import { artifactsPath, json } from "../../api/client.js";
import { useWrite } from "../../api/queries.js";
import type { Artifact } from "../../api/types.js";
import { useCurrentUser } from "../../app/session.js";
import { ConfirmDelete, CopyText, ErrorAlert } from "../../components/feedback.js";
import { formatBytes, formatTime } from "../../components/format.js";
import { PullCommand } from "./pull-command.js";
import { rightsIn, useProject } from "./roles.js";
import { Dialog } from "../../components/dialog.js";
import { AccessoriesCard } from "./artifact-accessories.js";
import { SbomCard, VulnerabilitiesCard } from "./artifact-vulnerabilities.js";

export function ArtifactPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { project = "", repository = "", reference = "" } = useParams();
  const sysadmin = useCurrentUser().data?.sysadmin_flag === true;
  const rights = rightsIn(useProject(project).data, sysadmin);
  const base = artifactsPath(project, repository);
  const key = ["artifacts", project, repository];
  const artifact = useQuery({ queryKey: [...key, reference], queryFn: () => json<Artifact>(`${base}/${reference}`, { query: { with_tag: true } }) });
  const [tag, setTag] = useState("");
  const [copying, setCopying] = useState(false);
  const addTag = useWrite(() => json(`${base}/${reference}/tags`, { method: "POST", body: { name: tag } }), [key]);
  const removeTag = useWrite((name: string) => json(`${base}/${reference}/tags/${encodeURIComponent(name)}`, { method: "DELETE" }), [key]);
  const remove = useWrite(() => json(`${base}/${reference}`, { method: "DELETE" }), [key]);
  const a = artifact.data;
  const full = `${project}/${repository}`;
  const repoLink = `/projects/${project}/repositories/${encodeURIComponent(repository)}`;
  const attrs = (a?.extra_attrs ?? {}) as Record<string, unknown>;
  return (
    <Stack>
      <Breadcrumbs>
        <Anchor component={Link} to="/projects">
          {t("nav.projects")}
        </Anchor>
        <Anchor component={Link} to={`/projects/${project}/repositories`}>
          {project}
        </Anchor>
        <Anchor component={Link} to={repoLink}>
          {repository}
        </Anchor>
        <Text>{reference.slice(0, 19)}</Text>
      </Breadcrumbs>
      <Title order={1} size="h2">
        {t("artifacts.details")}
      </Title>
      <ErrorAlert error={artifact.error ?? removeTag.error} />
      {a && (
        <>
          <Group gap="xs">
            <Code className="berth-mono" data-testid="artifact-digest">
              {a.digest}
            </Code>
            <CopyText value={a.digest ?? ""} label={t("artifacts.digest")} />
          </Group>
          <PullCommand repository={full} reference={a.digest ?? reference} />
          <SimpleGrid cols={{ base: 2, md: 4 }}>
            <Fact label={t("artifacts.type")} value={a.type ?? ""} />
            <Fact label={t("artifacts.size")} value={formatBytes(a.size)} />
            <Fact label={t("artifacts.pushed")} value={formatTime(a.push_time)} />
            <Fact label={t("artifacts.pulled")} value={formatTime(a.pull_time, t("common.never"))} />
            {typeof attrs["os"] === "string" && <Fact label={t("artifacts.platforms")} value={`${String(attrs["os"])}/${String(attrs["architecture"] ?? "")}${attrs["variant"] ? `/${String(attrs["variant"])}` : ""}`} />}
          </SimpleGrid>
          <Card withBorder>
            <Title order={2} size="h4" mb="sm">
              {t("artifacts.tags")}
            </Title>
            <Group gap="xs" mb="sm" data-testid="tag-list">
              {(a.tags ?? []).map((tg) => (
                <Badge
                  key={tg.name}
                  variant="light"
                  tt="none"
                  size="lg"
                  rightSection={
                    rights.tag ? (
                      <Button size="compact-xs" variant="subtle" aria-label={t("artifacts.removeTag", { tag: tg.name })} onClick={() => removeTag.mutate(tg.name!)}>
                        ×
                      </Button>
                    ) : undefined
                  }
                >
                  {tg.name}
                </Badge>
              ))}
            </Group>
            {rights.tag && (
              <form
                onSubmit={async (e) => {
                  e.preventDefault();
                  await addTag.mutateAsync(undefined).then(() => setTag(""), () => undefined);
                }}
              >
                <Group align="end">
                  <TextInput label={t("artifacts.newTag")} required value={tag} onChange={(e) => setTag(e.currentTarget.value)} />
                  <Button type="submit" loading={addTag.isPending}>
                    {t("artifacts.addTag")}
                  </Button>
                </Group>
                <ErrorAlert error={addTag.error} />
              </form>
            )}
          </Card>
          {a.type === "IMAGE" && !a.references?.length && (
            <>
              <VulnerabilitiesCard project={project} repository={repository} digest={a.digest ?? reference} canScan={rights.scan} />
              <SbomCard project={project} repository={repository} digest={a.digest ?? reference} canScan={rights.scan} />
            </>
          )}
          <AccessoriesCard project={project} repository={repository} digest={a.digest ?? reference} />
          {a.references && a.references.length > 0 && (
            <Card withBorder>
              <Title order={2} size="h4" mb="sm">
                {t("artifacts.platforms")}
              </Title>
              <Table>
                <Table.Tbody>
                  {a.references.map((r) => (
                    <Table.Tr key={r.child_digest}>
                      <Table.Td>{[r.platform?.os, r.platform?.architecture, r.platform?.variant].filter(Boolean).join("/")}</Table.Td>
                      <Table.Td>
                        <Anchor component={Link} to={`${repoLink}/artifacts/${r.child_digest}`} className="berth-mono">
                          {r.child_digest}
                        </Anchor>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Card>
          )}
          {a.annotations && Object.keys(a.annotations).length > 0 && (
            <Card withBorder>
              <Title order={2} size="h4" mb="sm">
                {t("artifacts.annotations")}
              </Title>
              <Table>
                <Table.Tbody>
                  {Object.entries(a.annotations).map(([k, v]) => (
                    <Table.Tr key={k}>
                      <Table.Td className="berth-mono">{k}</Table.Td>
                      <Table.Td>{String(v)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Card>
          )}
          <Group>
            {rights.tag && (
              <Button variant="light" onClick={() => setCopying(true)}>
                {t("artifacts.copyTo")}
              </Button>
            )}
            {rights.deleteArtifacts && <ConfirmDelete size="sm" name={`${full}@${a.digest}`} onConfirm={() => remove.mutateAsync(undefined).then(() => navigate(repoLink))} />}
          </Group>
          <CopyArtifact source={`${full}@${a.digest}`} opened={copying} onClose={() => setCopying(false)} />
        </>
      )}
    </Stack>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <Card withBorder padding="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600}>{value}</Text>
    </Card>
  );
}

function CopyArtifact({ source, opened, onClose }: { source: string; opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const [target, setTarget] = useState("");
  const copy = useWrite(() => {
    const [project = "", ...rest] = target.split("/");
    return json(artifactsPath(project, rest.join("/")), { method: "POST", query: { from: source } });
  }, [["artifacts"]]);
  return (
    <Dialog opened={opened} onClose={onClose} title={t("artifacts.copyTo")} centered>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await copy.mutateAsync(undefined).then(onClose, () => undefined);
        }}
      >
        <Stack>
          <ErrorAlert error={copy.error} />
          <TextInput label={t("artifacts.copyTarget")} required value={target} onChange={(e) => setTarget(e.currentTarget.value)} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t("common.cancel")}
            </Button>
            <Button type="submit" loading={copy.isPending}>
              {t("artifacts.copyTo")}
            </Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}
