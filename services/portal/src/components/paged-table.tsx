// A table of rows with an empty state, and its server-paged form: one page fetched at a time
// (`page`/`page_size`, the total from `X-Total-Count`), the pager under it, the API's error above.
import { Table } from "@mantine/core";
import { keepPreviousData, useQuery, type QueryKey } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import type { Page } from "../api/client.js";
import { EmptyState, ErrorAlert, Pager } from "./feedback.js";

export interface Column<T> {
  header: ReactNode;
  cell: (row: T) => ReactNode;
}

export function DataTable<T>({ rows, columns, rowKey, empty, testId }: { rows: T[] | undefined; columns: (Column<T> | false)[]; rowKey: (row: T) => string | number; empty: ReactNode; testId?: string }) {
  const shown = columns.filter((c): c is Column<T> => c !== false);
  if (rows && rows.length === 0) return <EmptyState>{empty}</EmptyState>;
  return (
    <Table striped mt="md" data-testid={testId}>
      <Table.Thead>
        <Table.Tr>
          {shown.map((c, i) => (
            <Table.Th key={i}>{c.header}</Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows?.map((row) => (
          <Table.Tr key={rowKey(row)}>
            {shown.map((c, i) => (
              <Table.Td key={i}>{c.cell(row)}</Table.Td>
            ))}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export interface PagedTableProps<T> {
  queryKey: QueryKey;
  fetchPage: (query: { page: number; page_size: number }) => Promise<Page<T>>;
  columns: (Column<T> | false)[];
  rowKey: (row: T) => string | number;
  empty: ReactNode;
  pageSize?: number;
  testId?: string;
  /** Poll while this holds for the shown rows (jobs not yet final). */
  pollWhile?: (rows: T[]) => boolean;
}

export function PagedTable<T>({ queryKey, fetchPage, pageSize = 10, pollWhile, ...table }: PagedTableProps<T>) {
  const [page, setPage] = useState(1);
  const rows = useQuery({
    queryKey: [...queryKey, page, pageSize],
    queryFn: () => fetchPage({ page, page_size: pageSize }),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (pollWhile && q.state.data && pollWhile(q.state.data.items) ? 1500 : false),
  });
  // A page emptied by deletes (or a shrunk list): back to the last page that has rows.
  const total = rows.data?.total;
  useEffect(() => {
    if (total !== undefined && page > 1 && (page - 1) * pageSize >= total) setPage(Math.max(1, Math.ceil(total / pageSize)));
  }, [total, page, pageSize]);
  return (
    <>
      <ErrorAlert error={rows.error} />
      <DataTable rows={rows.data?.items} {...table} />
      {rows.data && rows.data.total > 0 && <Pager page={page} pageSize={pageSize} total={rows.data.total} onChange={setPage} />}
    </>
  );
}
