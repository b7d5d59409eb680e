import { Badge, Table } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { AuditLog } from "../../api/types.js";
import { EmptyState } from "../../components/feedback.js";
import { formatTime } from "../../components/format.js";

export function AuditTable({ logs }: { logs: AuditLog[] }) {
  const { t } = useTranslation();
  if (logs.length === 0) return <EmptyState>{t("logs.empty")}</EmptyState>;
  return (
    <Table striped data-testid="audit-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t("logs.user")}</Table.Th>
          <Table.Th>{t("logs.resource")}</Table.Th>
          <Table.Th>{t("logs.resourceType")}</Table.Th>
          <Table.Th>{t("logs.operation")}</Table.Th>
          <Table.Th>{t("logs.result")}</Table.Th>
          <Table.Th>{t("logs.time")}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {logs.map((l) => {
          const result = (l as { result?: string }).result;
          return (
            <Table.Tr key={l.id}>
              <Table.Td>{l.username}</Table.Td>
              <Table.Td>{l.resource}</Table.Td>
              <Table.Td>{l.resource_type}</Table.Td>
              <Table.Td>{l.operation}</Table.Td>
              <Table.Td>{result && <Badge variant="light" color={result === "success" ? "teal" : "red"}>{result}</Badge>}</Table.Td>
              <Table.Td>{formatTime(l.op_time)}</Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}
