// A retention policy's executions (dry runs marked), each one's tasks (one per repository: what it
// held and what it retained) and a task's log (what was, or would be, deleted).
import { Badge, Button, Code, ScrollArea, Stack, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { keys, retentionLog, retentionRunPage, retentionTasks, type RetentionExecution, type RetentionTask } from "../../api/project-queries.js";
import { ErrorAlert } from "../../components/feedback.js";
import { formatTime } from "../../components/format.js";
import { DataTable, PagedTable } from "../../components/paged-table.js";
import { FINAL, StatusBadge } from "../../components/status-badge.js";

export function RetentionRuns({ policy }: { policy: number }) {
  const { t } = useTranslation();
  const [execution, setExecution] = useState<number | null>(null);
  return (
    <Stack>
      <Title order={2} size="h4">
        {t("projectRetention.executions")}
      </Title>
      <PagedTable
        queryKey={keys.retentionRuns(policy)}
        fetchPage={(q) => retentionRunPage(policy, q)}
        pollWhile={(rows) => rows.some((e) => !FINAL.has(e.status ?? ""))}
        rowKey={(e) => e.id ?? 0}
        empty={t("projectRetention.noExecutions")}
        testId="retention-executions"
        columns={[
          {
            header: t("projectWebhooks.execution"),
            cell: (e: RetentionExecution) => (
              <Button size="xs" variant={execution === e.id ? "light" : "subtle"} onClick={() => setExecution(e.id ?? null)}>
                #{e.id}
              </Button>
            ),
          },
          { header: t("replications.status"), cell: (e) => <StatusBadge status={e.status} /> },
          { header: t("projectRetention.kind"), cell: (e) => (e.dry_run ? <Badge variant="outline">{t("projectRetention.dryRun")}</Badge> : t("projectRetention.real")) },
          { header: t("replications.trigger"), cell: (e) => e.trigger },
          { header: t("replications.started"), cell: (e) => formatTime(e.start_time) },
        ]}
      />
      {execution !== null && <RunTasks policy={policy} execution={execution} />}
    </Stack>
  );
}

function RunTasks({ policy, execution }: { policy: number; execution: number }) {
  const { t } = useTranslation();
  const tasks = useQuery({
    queryKey: [...keys.retentionRuns(policy), "tasks", execution],
    queryFn: () => retentionTasks(policy, execution),
    refetchInterval: (q) => (q.state.data?.some((x) => !FINAL.has(x.status ?? "")) ? 1500 : false),
  });
  const [task, setTask] = useState<number | null>(null);
  const log = useQuery({ queryKey: [...keys.retentionRuns(policy), "log", execution, task], queryFn: () => retentionLog(policy, execution, task!), enabled: task !== null });
  return (
    <>
      <Title order={3} size="h5">
        {t("projectWebhooks.tasksOf", { id: execution })}
      </Title>
      <ErrorAlert error={tasks.error ?? log.error} />
      <DataTable
        rows={tasks.data}
        rowKey={(x) => x.id ?? 0}
        empty={t("projectWebhooks.noTasks")}
        testId="retention-tasks"
        columns={[
          { header: t("projectRetention.repository"), cell: (x: RetentionTask) => x.repository },
          { header: t("replications.status"), cell: (x) => <StatusBadge status={x.status} /> },
          { header: t("projectRetention.total"), cell: (x) => x.total },
          { header: t("projectRetention.retained"), cell: (x) => x.retained },
          {
            header: t("replications.log"),
            cell: (x) => (
              <Button size="xs" variant="default" onClick={() => setTask(x.id ?? null)} aria-label={`${t("replications.log")}: ${x.repository}`}>
                {t("replications.log")}
              </Button>
            ),
          },
        ]}
      />
      {task !== null && log.data !== undefined && (
        <ScrollArea.Autosize mah={300}>
          <Code block data-testid="retention-log">
            {log.data || t("projectWebhooks.emptyLog")}
          </Code>
        </ScrollArea.Autosize>
      )}
    </>
  );
}
