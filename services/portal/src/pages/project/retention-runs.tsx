// A retention policy's executions (dry runs marked), each one's tasks (one per repository: what it
// held and what it retained) and a task's log (what was, or would be, deleted).
import { Badge } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { keys, retentionLog, retentionRunPage, retentionTasks, type RetentionExecution, type RetentionTask } from "../../api/project-queries.js";
import { ExecutionHistory } from "../../components/execution-history.js";
import { formatTime } from "../../components/format.js";
import { StatusBadge } from "../../components/status-badge.js";

export function RetentionRuns({ policy }: { policy: number }) {
  const { t } = useTranslation();
  return (
    <ExecutionHistory<RetentionExecution, RetentionTask>
      title={t("projectRetention.executions")}
      queryKey={keys.retentionRuns(policy)}
      fetchPage={(q) => retentionRunPage(policy, q)}
      empty={t("projectRetention.noExecutions")}
      testId="retention-executions"
      columns={[
        { header: t("replications.status"), cell: (e) => <StatusBadge status={e.status} /> },
        { header: t("projectRetention.kind"), cell: (e) => (e.dry_run ? <Badge variant="outline">{t("projectRetention.dryRun")}</Badge> : t("projectRetention.real")) },
        { header: t("replications.trigger"), cell: (e) => e.trigger },
        { header: t("replications.started"), cell: (e) => formatTime(e.start_time) },
      ]}
      fetchTasks={(execution) => retentionTasks(policy, execution)}
      taskTestId="retention-tasks"
      taskColumns={[
        { header: t("projectRetention.repository"), cell: (x) => x.repository },
        { header: t("replications.status"), cell: (x) => <StatusBadge status={x.status} /> },
        { header: t("projectRetention.total"), cell: (x) => x.total },
        { header: t("projectRetention.retained"), cell: (x) => x.retained },
      ]}
      fetchLog={(execution, task) => retentionLog(policy, execution, task)}
      logTestId="retention-log"
      logLabel={(x) => `${t("replications.log")}: ${x.repository}`}
      logHeight={300}
    />
  );
}
