// A webhook policy's delivery history: its executions (one per event), each one's tasks (one per
// target: status, attempts, last attempt, the response code) and a task's log.
import { Text } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { deliveryLog, deliveryPage, deliveryTasks, keys, type Execution, type Task } from "../../api/project-queries.js";
import { ExecutionHistory } from "../../components/execution-history.js";
import { formatTime } from "../../components/format.js";
import { StatusBadge } from "../../components/status-badge.js";

/** The HTTP status of the last attempt, from the task's message (`HTTP 200`, `HTTP 500 from …`). */
export function responseCode(message: string | undefined): string {
  return /\bHTTP (\d{3})\b/.exec(message ?? "")?.[1] ?? "—";
}

const attr = (x: { extra_attrs?: unknown }, key: string) => String((x.extra_attrs as Record<string, unknown> | undefined)?.[key] ?? "");

export function WebhookDeliveries({ project, policy }: { project: string; policy: number }) {
  const { t } = useTranslation();
  return (
    <ExecutionHistory<Execution, Task>
      queryKey={keys.deliveries(project, policy)}
      fetchPage={(q) => deliveryPage(project, policy, q)}
      empty={t("projectWebhooks.noDeliveries")}
      testId="delivery-table"
      columns={[
        { header: t("projectWebhooks.event"), cell: (e) => attr(e, "event_type") || e.trigger },
        { header: t("replications.status"), cell: (e) => <StatusBadge status={e.status} /> },
        { header: t("replications.started"), cell: (e) => formatTime(e.start_time) },
      ]}
      fetchTasks={(execution) => deliveryTasks(project, policy, execution)}
      taskTestId="delivery-task-table"
      taskColumns={[
        { header: t("projectWebhooks.address"), cell: (x) => attr(x, "address") },
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
      ]}
      fetchLog={(execution, task) => deliveryLog(project, policy, execution, task)}
      logTestId="delivery-log"
      logHeight={240}
    />
  );
}
