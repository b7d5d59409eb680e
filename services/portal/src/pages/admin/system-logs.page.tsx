import { Badge, Button, Group, Select, Stack, Table, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { json } from "../../api/client.js";
import { EmptyState, ErrorAlert } from "../../components/feedback.js";
import { formatTime } from "../../components/format.js";

interface LogEntry {
  time: string;
  service: string;
  level: string;
  message: string;
  requestId?: string;
}

/** The log-collector's service names (nginx logs as "proxy"). */
const SERVICES = ["proxy", "core", "registry", "jobservice", "scanner-adapter", "log-collector", "postgres", "redis"];
const LEVELS = ["error", "warn", "info", "http", "debug"];
const PAGE_SIZE = 200;
const LEVEL_COLOR: Record<string, string> = { error: "red", warn: "yellow", info: "blue" };

/** The log-collector's query (GET /system/logs) with its filters: service, level, time, text. */
export function SystemLogsPage() {
  const { t } = useTranslation();
  const [draft, setDraft] = useState({ service: "", level: "", q: "", since: "", until: "" });
  const [filter, setFilter] = useState(draft);
  // Server-side pages, newest first: each older page ends (`until`, inclusive) at the oldest entry
  // shown, so entries of that very instant show again rather than being skipped.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);
  const logs = useQuery({
    queryKey: ["system-logs", filter, cursor],
    queryFn: () =>
      json<LogEntry[]>("/system/logs", {
        query: { service: filter.service || undefined, level: filter.level || undefined, q: filter.q || undefined, since: iso(filter.since), until: cursor ?? iso(filter.until), limit: PAGE_SIZE },
      }),
  });
  return (
    <Stack>
      <Title order={1} size="h2">
        {t("logs.system")}
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
          setCursors([]);
        }}
      >
        <Group align="end">
          <Select label={t("logs.service")} clearable data={SERVICES} value={draft.service || null} onChange={(v) => setDraft({ ...draft, service: v ?? "" })} />
          <Select label={t("logs.level")} clearable data={LEVELS} value={draft.level || null} onChange={(v) => setDraft({ ...draft, level: v ?? "" })} />
          <TextInput label={t("logs.contains")} value={draft.q} onChange={(e) => setDraft({ ...draft, q: e.currentTarget.value })} />
          <TextInput type="datetime-local" label={t("logs.from")} value={draft.since} onChange={(e) => setDraft({ ...draft, since: e.currentTarget.value })} />
          <TextInput type="datetime-local" label={t("logs.to")} value={draft.until} onChange={(e) => setDraft({ ...draft, until: e.currentTarget.value })} />
          <Button type="submit">{t("logs.apply")}</Button>
        </Group>
      </form>
      <ErrorAlert error={logs.error} />
      {logs.data && logs.data.length === 0 && <EmptyState>{t("logs.empty")}</EmptyState>}
      {logs.data && logs.data.length > 0 && (
        <Table striped data-testid="system-log-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("logs.time")}</Table.Th>
              <Table.Th>{t("logs.service")}</Table.Th>
              <Table.Th>{t("logs.level")}</Table.Th>
              <Table.Th>{t("logs.message")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {logs.data.map((l, i) => (
              <Table.Tr key={`${l.time}-${i}`}>
                <Table.Td style={{ whiteSpace: "nowrap" }}>{formatTime(l.time)}</Table.Td>
                <Table.Td>{l.service}</Table.Td>
                <Table.Td>
                  <Badge variant="light" color={LEVEL_COLOR[l.level] ?? "gray"}>
                    {l.level}
                  </Badge>
                </Table.Td>
                <Table.Td className="berth-mono">{l.message}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Group>
        <Button variant="default" disabled={cursors.length === 0} onClick={() => setCursors([])}>
          {t("systemLogPages.newest")}
        </Button>
        <Button variant="default" disabled={(logs.data?.length ?? 0) < PAGE_SIZE} onClick={() => setCursors([...cursors, logs.data!.at(-1)!.time])}>
          {t("systemLogPages.older")}
        </Button>
      </Group>
    </Stack>
  );
}
