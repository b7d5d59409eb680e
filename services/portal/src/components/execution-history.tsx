// A job's execution history: its executions page by page (polled while one is still running), the
// chosen execution's tasks (polled likewise) and the chosen task's log. Retention runs and webhook
// deliveries are both this shape; each supplies its fetchers, columns and test ids.
import { Button, Code, ScrollArea, Stack, Title } from "@mantine/core";
import { useQuery, type QueryKey } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { Page } from "../api/client.js";
import { ErrorAlert } from "./feedback.js";
import { DataTable, PagedTable, type Column } from "./paged-table.js";
import { FINAL } from "./status-badge.js";

interface Job {
  id?: number;
  status?: string;
}

export interface ExecutionHistoryProps<E extends Job, T extends Job> {
  title?: ReactNode;
  queryKey: QueryKey;
  fetchPage: (query: { page: number; page_size: number }) => Promise<Page<E>>;
  /** The columns after the execution's id (which selects it). */
  columns: Column<E>[];
  empty: ReactNode;
  testId: string;
  fetchTasks: (execution: number) => Promise<T[]>;
  /** The columns before the log button. */
  taskColumns: Column<T>[];
  taskTestId: string;
  fetchLog: (execution: number, task: number) => Promise<string>;
  logTestId: string;
  /** The log button's accessible name, when the button alone does not say which task. */
  logLabel?: (task: T) => string;
  logHeight: number;
}

const running = (rows: Job[] | undefined) => rows?.some((x) => !FINAL.has(x.status ?? "")) ?? false;

export function ExecutionHistory<E extends Job, T extends Job>({ title, queryKey, fetchPage, columns, empty, testId, ...tasks }: ExecutionHistoryProps<E, T>) {
  const { t } = useTranslation();
  const [execution, setExecution] = useState<number | null>(null);
  return (
    <Stack>
      {title && (
        <Title order={2} size="h4">
          {title}
        </Title>
      )}
      <PagedTable
        queryKey={queryKey}
        fetchPage={fetchPage}
        pollWhile={running}
        rowKey={(e) => e.id ?? 0}
        empty={empty}
        testId={testId}
        columns={[
          {
            header: t("projectWebhooks.execution"),
            cell: (e: E) => (
              <Button size="xs" variant={execution === e.id ? "light" : "subtle"} onClick={() => setExecution(e.id ?? null)}>
                #{e.id}
              </Button>
            ),
          },
          ...columns,
        ]}
      />
      {execution !== null && <ExecutionTasks queryKey={queryKey} execution={execution} {...tasks} />}
    </Stack>
  );
}

type TaskProps<T extends Job> = Pick<ExecutionHistoryProps<Job, T>, "queryKey" | "fetchTasks" | "taskColumns" | "taskTestId" | "fetchLog" | "logTestId" | "logLabel" | "logHeight"> & { execution: number };

function ExecutionTasks<T extends Job>({ queryKey, execution, fetchTasks, taskColumns, taskTestId, fetchLog, logTestId, logLabel, logHeight }: TaskProps<T>) {
  const { t } = useTranslation();
  const tasks = useQuery({
    queryKey: [...queryKey, "tasks", execution],
    queryFn: () => fetchTasks(execution),
    refetchInterval: (q) => (running(q.state.data) ? 1500 : false),
  });
  const [task, setTask] = useState<number | null>(null);
  const log = useQuery({ queryKey: [...queryKey, "log", execution, task], queryFn: () => fetchLog(execution, task!), enabled: task !== null });
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
        testId={taskTestId}
        columns={[
          ...taskColumns,
          {
            header: t("replications.log"),
            cell: (x: T) => (
              <Button size="xs" variant="default" onClick={() => setTask(x.id ?? null)} aria-label={logLabel?.(x)}>
                {t("replications.log")}
              </Button>
            ),
          },
        ]}
      />
      {task !== null && log.data !== undefined && (
        <ScrollArea.Autosize mah={logHeight}>
          <Code block data-testid={logTestId}>
            {log.data || t("projectWebhooks.emptyLog")}
          </Code>
        </ScrollArea.Autosize>
      )}
    </>
  );
}
