import { Button, Card, Checkbox, Code, Group, ScrollArea, Select, Stack, Table, TextInput, Title } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { json, page, text } from "../../api/client.js";
import { useWrite } from "../../api/queries.js";
import type { GCHistory } from "../../api/types.js";
import { EmptyState, ErrorAlert, Pager } from "../../components/feedback.js";
import { formatTime } from "../../components/format.js";
import { FINAL, StatusBadge } from "../../components/status-badge.js";
import { Dialog } from "../../components/dialog.js";

interface GcSchedule {
  schedule?: { type?: string; cron?: string } | null;
  parameters?: { delete_untagged?: boolean; dry_run?: boolean } | null;
}

const PAGE_SIZE = 10;
const TYPES = ["None", "Hourly", "Daily", "Weekly", "Custom"];

export function GcPage() {
  const { t } = useTranslation();
  const [pageNo, setPage] = useState(1);
  const [logOf, setLogOf] = useState<number | null>(null);
  const history = useQuery({
    queryKey: ["gc-history", pageNo],
    queryFn: () => page<GCHistory>("/system/gc", { page: pageNo, page_size: PAGE_SIZE }),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((r) => !FINAL.has(r.job_status ?? "")) ? 2000 : false),
  });
  const log = useQuery({ queryKey: ["gc-log", logOf], enabled: logOf !== null, queryFn: () => text(`/system/gc/${logOf}/log`) });
  return (
    <Stack>
      <Title order={1} size="h2">
        {t("gc.title")}
      </Title>
      <ScheduleCard />
      <Title order={2} size="h3">
        {t("gc.history")}
      </Title>
      <ErrorAlert error={history.error} />
      {history.data && history.data.items.length === 0 ? (
        <EmptyState>{t("gc.empty")}</EmptyState>
      ) : (
        <Table striped data-testid="gc-history">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>ID</Table.Th>
              <Table.Th>{t("gc.status")}</Table.Th>
              <Table.Th>{t("replications.trigger")}</Table.Th>
              <Table.Th>{t("gc.dryRun")}</Table.Th>
              <Table.Th>{t("common.created")}</Table.Th>
              <Table.Th>{t("gc.log")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {history.data?.items.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>{r.id}</Table.Td>
                <Table.Td>
                  <StatusBadge status={r.job_status} />
                </Table.Td>
                <Table.Td>{r.schedule?.type ?? r.job_kind}</Table.Td>
                <Table.Td>{String((JSON.parse(r.job_parameters || "{}") as { dry_run?: boolean }).dry_run ?? false)}</Table.Td>
                <Table.Td>{formatTime(r.creation_time)}</Table.Td>
                <Table.Td>
                  <Button size="xs" variant="default" onClick={() => setLogOf(r.id!)}>
                    {t("gc.log")}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {history.data && <Pager page={pageNo} pageSize={PAGE_SIZE} total={history.data.total} onChange={setPage} />}
      <Dialog opened={logOf !== null} onClose={() => setLogOf(null)} title={`${t("gc.log")} #${logOf ?? ""}`} size="xl">
        <ErrorAlert error={log.error} />
        <ScrollArea h={400}>
          <Code block tabIndex={0} data-testid="gc-log">
            {log.data ?? ""}
          </Code>
        </ScrollArea>
      </Dialog>
    </Stack>
  );
}

function ScheduleCard() {
  const { t } = useTranslation();
  const current = useQuery({ queryKey: ["gc-schedule"], queryFn: () => json<GcSchedule>("/system/gc/schedule") });
  const [type, setType] = useState("None");
  const [cron, setCron] = useState("");
  const [deleteUntagged, setDeleteUntagged] = useState(false);
  const [dryRun, setDryRun] = useState(false);
  useEffect(() => {
    const s = current.data;
    if (!s) return;
    setType(s.schedule?.type ?? "None");
    setCron(s.schedule?.cron ?? "");
    setDeleteUntagged(s.parameters?.delete_untagged ?? false);
  }, [current.data]);
  const parameters = { delete_untagged: deleteUntagged, dry_run: dryRun, workers: 1 };
  const save = useWrite(() => json("/system/gc/schedule", { method: "PUT", body: { schedule: { type, cron: type === "Custom" ? cron : undefined }, parameters } }), [["gc-schedule"]]);
  const runNow = useWrite(() => json("/system/gc/schedule", { method: "POST", body: { schedule: { type: "Manual" }, parameters } }), [["gc-history"]]);
  return (
    <Card withBorder>
      <Stack>
        <ErrorAlert error={current.error ?? save.error ?? runNow.error} />
        <Group align="end">
          <Select
            label={t("gc.schedule")}
            data={TYPES.map((v) => ({ value: v, label: t(`gc.${v === "Custom" ? "custom" : v.toLowerCase()}`) }))}
            value={type}
            onChange={(v) => setType(v ?? "None")}
            allowDeselect={false}
          />
          {type === "Custom" && <TextInput label={t("gc.cron")} value={cron} onChange={(e) => setCron(e.currentTarget.value)} placeholder="0 0 3 * * *" />}
          <Button onClick={() => save.mutate(undefined)} loading={save.isPending}>
            {t("common.save")}
          </Button>
        </Group>
        <Group>
          <Checkbox label={t("gc.deleteUntagged")} checked={deleteUntagged} onChange={(e) => setDeleteUntagged(e.currentTarget.checked)} />
          <Checkbox label={t("gc.dryRun")} checked={dryRun} onChange={(e) => setDryRun(e.currentTarget.checked)} />
          <Button onClick={() => runNow.mutate(undefined)} loading={runNow.isPending}>
            {t("gc.runNow")}
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}
