// Scan-all: its schedule (saved), a run now, stop, and the last run's status and counts (polled
// while it runs), from Harbor's /system/scanAll/schedule and /scans/all/metrics.
import { Badge, Button, Card, Group, Progress, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { json } from "../../api/client.js";
import { adminKeys, type ScanAllStats } from "../../api/admin-queries.js";
import { useWrite } from "../../api/queries.js";
import { ErrorAlert } from "../../components/feedback.js";
import { StatusBadge } from "../../components/status-badge.js";

const TYPES = ["None", "Hourly", "Daily", "Weekly", "Custom"];

export function ScanAllCard() {
  const { t } = useTranslation();
  const schedule = useQuery({ queryKey: [...adminKeys.scanAll, "schedule"], queryFn: () => json<{ schedule?: { type?: string; cron?: string } }>("/system/scanAll/schedule") });
  // A run starts a moment after "Scan now" (jobservice creates it): watch for a minute, and while one runs.
  const [watchUntil, setWatchUntil] = useState(0);
  const metrics = useQuery({
    queryKey: [...adminKeys.scanAll, "metrics"],
    queryFn: () => json<ScanAllStats & { requester?: string }>("/scans/all/metrics"),
    refetchInterval: (q) => (q.state.data?.ongoing || Date.now() < watchUntil ? 2000 : false),
  });
  const [type, setType] = useState("None");
  const [cron, setCron] = useState("");
  useEffect(() => {
    setType(schedule.data?.schedule?.type ?? "None");
    setCron(schedule.data?.schedule?.cron ?? "");
  }, [schedule.data]);
  const save = useWrite(() => json("/system/scanAll/schedule", { method: "PUT", body: { schedule: { type, ...(type === "Custom" && { cron }) } } }), [[...adminKeys.scanAll, "schedule"]]);
  const runNow = useWrite(() => json("/system/scanAll/schedule", { method: "POST", body: { schedule: { type: "Manual" } } }), [[...adminKeys.scanAll, "metrics"]]);
  const stop = useWrite(() => json("/system/scanAll/stop", { method: "POST" }), [[...adminKeys.scanAll, "metrics"]]);
  const m = metrics.data;
  // Core's metrics name the requester once any run exists.
  const ran = m !== undefined && (m.requester !== undefined || (m.total ?? 0) > 0 || m.ongoing);
  return (
    <Card withBorder>
      <Stack>
        <Title order={2} size="h3">
          {t("scanAll.title")}
        </Title>
        <ErrorAlert error={schedule.error ?? metrics.error ?? save.error ?? runNow.error ?? stop.error} />
        <Group align="end">
          <Select
            label={t("scanAll.schedule")}
            data={TYPES.map((v) => ({ value: v, label: t(`gc.${v === "Custom" ? "custom" : v.toLowerCase()}`) }))}
            value={type}
            onChange={(v) => setType(v ?? "None")}
            allowDeselect={false}
          />
          {type === "Custom" && <TextInput label={t("gc.cron")} value={cron} onChange={(e) => setCron(e.currentTarget.value)} placeholder="0 0 3 * * *" />}
          <Button variant="default" onClick={() => save.mutate(undefined)} loading={save.isPending}>
            {t("common.save")}
          </Button>
          <Button onClick={() => runNow.mutateAsync(undefined).then(() => setWatchUntil(Date.now() + 60_000), () => undefined)} loading={runNow.isPending} disabled={m?.ongoing}>
            {t("scanAll.runNow")}
          </Button>
          {m?.ongoing && (
            <Button color="red" variant="light" onClick={() => stop.mutate(undefined)} loading={stop.isPending}>
              {t("scanAll.stop")}
            </Button>
          )}
        </Group>
        <Title order={3} size="h5">
          {t("scanAll.last")}
        </Title>
        {!ran ? (
          <Text c="dimmed">{t("scanAll.never")}</Text>
        ) : (
          <Stack gap="xs" data-testid="scan-all-last">
            <Group gap="xs">
              <Badge variant="light" color={m?.ongoing ? "blue" : "teal"} data-testid="scan-all-state">
                {m?.ongoing ? t("scanAll.ongoing") : t("scanAll.finished")}
              </Badge>
              <Text size="sm" data-testid="scan-all-progress">
                {t("scanAll.progress", { completed: m?.completed ?? 0, total: m?.total ?? 0 })}
              </Text>
              <Text size="sm" c="dimmed">
                {t("scanAll.trigger")}: {m?.trigger} {m?.requester ? `· ${t("scanAll.requester")}: ${m.requester}` : ""}
              </Text>
            </Group>
            <Progress value={m?.total ? ((m.completed ?? 0) / m.total) * 100 : 0} aria-label={t("scanAll.progress", { completed: m?.completed ?? 0, total: m?.total ?? 0 })} />
            <Group gap="xs">
              {Object.entries(m?.metrics ?? {}).map(([status, n]) => (
                <Group key={status} gap={4}>
                  <StatusBadge status={status} />
                  <Text size="sm">{n}</Text>
                </Group>
              ))}
            </Group>
          </Stack>
        )}
      </Stack>
    </Card>
  );
}
