import { Badge } from "@mantine/core";

/** Job states that will not change again (executions, tasks, GC runs). */
export const FINAL = new Set(["Succeed", "Success", "Failed", "Error", "Stopped"]);
const STATUS_COLOR: Record<string, string> = { Succeed: "teal", Success: "teal", Failed: "red", Error: "red", InProgress: "blue", Running: "blue", Stopped: "gray" };

export function StatusBadge({ status }: { status?: string }) {
  return (
    <Badge variant="light" color={STATUS_COLOR[status ?? ""] ?? "gray"}>
      {status}
    </Badge>
  );
}
