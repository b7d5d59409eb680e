import { Code, Group, SegmentedControl } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useRegistryHost } from "../../app/session.js";
import { CopyText } from "../../components/feedback.js";

/** `docker pull host/project/repo@digest` (or `:tag`), with a copy button; docker or podman. */
export function PullCommand({ repository, reference, compact = false }: { repository: string; reference: string; compact?: boolean }) {
  const { t } = useTranslation();
  const host = useRegistryHost();
  const [tool, setTool] = useState("docker");
  const sep = reference.startsWith("sha256:") ? "@" : ":";
  const command = `${tool} pull ${host}/${repository}${sep}${reference}`;
  if (compact) return <CopyText value={command} label={`${t("artifacts.pull")} (${reference})`} />;
  return (
    <Group gap="xs" wrap="nowrap">
      <SegmentedControl size="xs" value={tool} onChange={setTool} data={["docker", "podman"]} aria-label={t("artifacts.pull")} />
      <Code className="berth-mono" data-testid="pull-command">
        {command}
      </Code>
      <CopyText value={command} label={t("artifacts.pull")} />
    </Group>
  );
}
