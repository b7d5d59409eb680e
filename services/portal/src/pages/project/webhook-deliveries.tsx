// A webhook policy's delivery history: its executions (one per event), each one's tasks (one per
// target: status, attempts, last attempt, the response code) and a task's log.
import { Button, Code, ScrollArea, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { deliveryLog, deliveryPage, deliveryTasks, keys, type Execution, type Task } from "../../api/project-queries.js";
import { ErrorAlert } from "../../components/feedback.js";
import { formatTime } from "../../components/format.js";
import { DataTable, PagedTable } from "../../components/paged-table.js";
import { FINAL, StatusBadge } from "../../components/status-badge.js";

/** The HTTP status of the last attempt, from the task's message (`HTTP 200`, `HTTP 500 from …`). */
export function responseCode(message: string | undefined): string {
  return /\bHTTP (\d{3})\b/.exec(message ?? "")?.[1] ?? "—";
}

const attr = (x: { extra_attrs?: unknown }, key: string) => String((x.extra_attrs as Record<string, unknown> | undefined)?.[key] ?? "");

export function WebhookDeliveries({ project, policy }: { project: string; policy: number }) {
  const { t } = useTranslation();
  const [execution, setExecution] = useState<number | null>(null);
  return (
    <Stack>
      <PagedTable
        queryKey={keys.deliveries(project, policy)}
        fetchPage={(q) => deliveryPage(project, policy, q)}
        pollWhile={(rows) => rows.some((e) => !FINAL.has(e.status ?? ""))}
        rowKey={(e) => e.id ?? 0}
        empty={t("projectWebhooks.noDeliveries")}
        testId="delivery-table"
        columns={[
          {
            header: t("projectWebhooks.execution"),
            cell: (e: Execution) => (
              <Button size="xs" variant={execution === e.id ? "light" : "subtle"} onClick={() => setExecution(e.id ?? null)}>
                #{e.id}
              </Button>
            ),
          },
          { header: t("projectWebhooks.event"), cell: (e) => attr(e, "event_type") || e.trigger },
          { header: t("replications.status"), cell: (e) => <StatusBadge status={e.status} /> },
          { header: t("replications.started"), cell: (e) => formatTime(e.start_time) },
        ]}
      />
      {execution !== null && <DeliveryTasks project={project} policy={policy} execution={execution} />}
    </Stack>
  );
}

function DeliveryTasks({ project, policy, execution }: { project: string; policy: number; execution: number }) {
  const { t } = useTranslation();
  const tasks = useQuery({
    queryKey: [...keys.deliveries(project, policy), "tasks", execution],
    queryFn: () => deliveryTasks(project, policy, execution),
    refetchInterval: (q) => (q.state.data?.some((x) => !FINAL.has(x.status ?? "")) ? 1500 : false),
  });
  const [task, setTask] = useState<number | null>(null);
  const log = useQuery({ queryKey: [...keys.deliveries(project, policy), "log", execution, task], queryFn: () => deliveryLog(project, policy, execution, task!), enabled: task !== null });
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
        testId="delivery-task-table"
        columns={[
          { header: t("projectWebhooks.address"), cell: (x: Task) => attr(x, "address") },
          {
            header: t("replications.status"),
            cell: (x) => (
              <>
                <StatusBadge status={x.status} />
                {x.status_message && !/^HTTP \d{3}$/.test(x.status_message) && (
                  <Text size="xs" c="dimmed">
                    {x.status_message}
                  </Text>
                )}
              </>
            ),
          },
          { header: t("projectWebhooks.attempts"), cell: (x) => x.run_count },
          { header: t("projectWebhooks.lastAttempt"), cell: (x) => formatTime(x.end_time || x.start_time || x.update_time) },
          { header: t("projectWebhooks.responseCode"), cell: (x) => <span data-testid="response-code">{responseCode(x.status_message)}</span> },
          {
            header: t("replications.log"),
            cell: (x) => (
              <Button size="xs" variant="default" onClick={() => setTask(x.id ?? null)}>
                {t("replications.log")}
              </Button>
            ),
          },
        ]}
      />
      {task !== null && log.data !== undefined && (
        <ScrollArea.Autosize mah={240}>
          <Code block data-testid="delivery-log">
            {log.data || t("projectWebhooks.emptyLog")}
          </Code>
        </ScrollArea.Autosize>
      )}
    </>
  );
}
