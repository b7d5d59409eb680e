// An artifact's referrers as a tree: signatures, SBOMs and other accessories under their subject,
// and their own accessories under them (a signed SBOM), each a link to its artifact page.
import { Anchor, Badge, Card, Group, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { Link } from "react-router-dom";
import { useAccessories } from "../../api/admin-queries.js";
import { EmptyState, ErrorAlert } from "../../components/feedback.js";
import { formatBytes, formatTime, shortDigest } from "../../components/format.js";

/** Levels shown below the artifact (an accessory of an accessory of an accessory). */
const MAX_DEPTH = 3;
const TYPE_COLOR: Record<string, string> = { "harbor.sbom": "grape", "signature.cosign": "teal", "signature.notation": "teal" };

export function AccessoriesCard({ project, repository, digest }: { project: string; repository: string; digest: string }) {
  const { t } = useTranslation();
  const top = useAccessories(project, repository, digest);
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        {t("accessories.title")}
      </Title>
      <ErrorAlert error={top.error} />
      {top.data && top.data.items.length === 0 ? (
        <EmptyState>{t("accessories.none")}</EmptyState>
      ) : (
        <ul className="berth-tree" data-testid="accessory-tree">
          <AccessoryLevel project={project} repository={repository} digest={digest} depth={1} />
        </ul>
      )}
    </Card>
  );
}

function AccessoryLevel({ project, repository, digest, depth }: { project: string; repository: string; digest: string; depth: number }) {
  const { t } = useTranslation();
  const level = useAccessories(project, repository, digest);
  const link = (d: string) => `/projects/${project}/repositories/${encodeURIComponent(repository)}/artifacts/${d}`;
  return (
    <>
      {level.data?.items.map((a) => (
        <li key={a.digest} data-testid="accessory" data-type={a.type}>
          <Group gap="xs" wrap="nowrap">
            <Badge variant="light" tt="none" color={TYPE_COLOR[a.type ?? ""] ?? "gray"}>
              {t(`accessories.types.${a.type ?? "subject.accessory"}`, { defaultValue: a.type })}
            </Badge>
            <Anchor component={Link} to={link(a.digest ?? "")} className="berth-mono" aria-label={a.digest}>
              {shortDigest(a.digest)}
            </Anchor>
            <Text size="sm" c="dimmed">
              {formatBytes(a.size)} · {formatTime(a.creation_time)}
            </Text>
          </Group>
          {depth < MAX_DEPTH && (
            <ul className="berth-tree">
              <AccessoryLevel project={project} repository={repository} digest={a.digest ?? ""} depth={depth + 1} />
            </ul>
          )}
        </li>
      ))}
      {level.data && level.data.total > level.data.items.length && (
        <li>
          <Text size="sm" c="dimmed">
            … {level.data.total - level.data.items.length}
          </Text>
        </li>
      )}
    </>
  );
}
