// The create-project dialog's proxy cache choice (system administrators): a checkbox, then the
// registry endpoint to pull through; and the badge project lists show for a proxy-cache project.
import { Badge, Checkbox, Select, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { json } from "../api/client.js";
import type { Project, Registry } from "../api/types.js";

/** `registryId` null: not a proxy cache. */
export function ProxyCacheField({ registryId, onChange }: { registryId: number | null; onChange: (id: number | null) => void }) {
  const { t } = useTranslation();
  const on = registryId !== null;
  const registries = useQuery({ queryKey: ["registries"], queryFn: () => json<Registry[]>("/registries", { query: { page_size: 100 } }) });
  const options = (registries.data ?? []).map((r) => ({ value: String(r.id), label: `${r.name} (${r.url})` }));
  return (
    <>
      <Checkbox label={t("proxyCache.enable")} checked={on} onChange={(e) => onChange(e.currentTarget.checked ? (registries.data?.[0]?.id ?? 0) : null)} />
      {on &&
        (options.length === 0 ? (
          <Text size="sm" c="dimmed">
            {t("proxyCache.noEndpoints")}
          </Text>
        ) : (
          <Select label={t("proxyCache.endpoint")} required data={options} value={registryId ? String(registryId) : null} onChange={(v) => onChange(v ? Number(v) : 0)} allowDeselect={false} />
        ))}
    </>
  );
}

export function ProxyBadge({ project }: { project: Project }) {
  const { t } = useTranslation();
  if (!project.registry_id) return null;
  return (
    <Badge variant="outline" color="violet" ml="xs" size="sm">
      {t("proxyCache.badge")}
    </Badge>
  );
}
