import { Button, Group, Stack, TextInput, Title } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { page } from "../../api/client.js";
import type { AuditLog } from "../../api/types.js";
import { ErrorAlert, Pager } from "../../components/feedback.js";
import { AuditTable } from "./audit-table.js";

const PAGE_SIZE = 25;

export function AuditLogsPage() {
  const { t } = useTranslation();
  const [draft, setDraft] = useState({ username: "", resource: "", operation: "" });
  const [filter, setFilter] = useState(draft);
  const [pageNo, setPage] = useState(1);
  const q = Object.entries(filter)
    .filter(([, v]) => v.trim() !== "")
    .map(([k, v]) => (k === "operation" ? `${k}=${v.trim()}` : `${k}=~${v.trim()}`))
    .join(",");
  const logs = useQuery({
    queryKey: ["audit-logs", q, pageNo],
    queryFn: () => page<AuditLog>("/audit-logs", { q: q || undefined, page: pageNo, page_size: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const field = (k: keyof typeof draft) => ({ value: draft[k], onChange: (e: React.ChangeEvent<HTMLInputElement>) => setDraft({ ...draft, [k]: e.currentTarget.value }) });
  return (
    <Stack>
      <Title order={1} size="h2">
        {t("logs.audit")}
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
          setPage(1);
        }}
      >
        <Group align="end">
          <TextInput label={t("logs.user")} {...field("username")} />
          <TextInput label={t("logs.resource")} {...field("resource")} />
          <TextInput label={t("logs.operation")} {...field("operation")} />
          <Button type="submit">{t("logs.apply")}</Button>
        </Group>
      </form>
      <ErrorAlert error={logs.error} />
      {logs.data && <AuditTable logs={logs.data.items} />}
      {logs.data && <Pager page={pageNo} pageSize={PAGE_SIZE} total={logs.data.total} onChange={setPage} />}
    </Stack>
  );
}
