import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { page } from "../../api/client.js";
import type { AuditLog } from "../../api/types.js";
import { AuditTable } from "../admin/audit-table.js";
import { ErrorAlert, Pager } from "../../components/feedback.js";

const PAGE_SIZE = 20;

export function ProjectLogsTab({ project }: { project: string }) {
  const [pageNo, setPage] = useState(1);
  const logs = useQuery({
    queryKey: ["project-logs", project, pageNo],
    queryFn: () => page<AuditLog>(`/projects/${encodeURIComponent(project)}/logs`, { page: pageNo, page_size: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      <ErrorAlert error={logs.error} />
      {logs.data && <AuditTable logs={logs.data.items} />}
      {logs.data && <Pager page={pageNo} pageSize={PAGE_SIZE} total={logs.data.total} onChange={setPage} />}
    </>
  );
}
