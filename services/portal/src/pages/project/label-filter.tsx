// The artifact list's label filter: the project's labels in a select (absent while there are none),
// and the `q` that combines it with the tag filter (`tags=~v1,labels=7`).
import { Select } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { useProjectLabels } from "../../api/project-queries.js";

export function artifactQuery(tag: string, labelId: string | null): string | undefined {
  return [tag && `tags=~${tag}`, labelId && `labels=${labelId}`].filter(Boolean).join(",") || undefined;
}

export function LabelFilter({ projectId, value, onChange }: { projectId: number | undefined; value: string | null; onChange: (labelId: string | null) => void }) {
  const { t } = useTranslation();
  const labels = useProjectLabels(projectId ?? 0, projectId !== undefined);
  if (!labels.data?.length) return null;
  return <Select label={t("projectLabels.filter")} placeholder={t("projectLabels.any")} data={labels.data.map((l) => ({ value: String(l.id), label: l.name ?? "" }))} value={value} onChange={onChange} clearable w={220} />;
}
