/** Read-only views of jobservice's executions and tasks for a webhook policy (Harbor's `Execution`/`Task`). */
import type { Execution, PrismaClient, Task } from "@berth/db";
import { WEBHOOK_VENDOR_TYPE } from "@berth/webhooks";
import { NotFoundError } from "../errors.js";
import type { Paging } from "../listing.js";

export function executionView(e: Execution) {
  return {
    id: Number(e.id),
    vendor_type: e.vendorType,
    vendor_id: Number(e.vendorId),
    status: e.status,
    status_message: e.statusMessage,
    trigger: e.trigger,
    extra_attrs: e.extraAttrs,
    start_time: e.startTime.toISOString(),
    end_time: e.endTime?.toISOString() ?? "",
  };
}

/** Task attributes shown: never the target's secret or auth header. */
export function taskView(t: Task) {
  const attrs = t.extraAttrs as { event_type?: string; target?: { type?: string; address?: string; payload_format?: string } };
  return {
    id: Number(t.id),
    execution_id: Number(t.executionId),
    status: t.status,
    status_message: t.statusMessage,
    run_count: t.runCount,
    extra_attrs: {
      event_type: attrs.event_type ?? "",
      type: attrs.target?.type ?? "",
      address: attrs.target?.address ?? "",
      payload_format: attrs.target?.payload_format ?? "",
    },
    creation_time: t.creationTime.toISOString(),
    update_time: t.updateTime.toISOString(),
    start_time: t.startTime?.toISOString() ?? "",
    end_time: t.endTime?.toISOString() ?? "",
  };
}

export class WebhookExecutionReader {
  constructor(private readonly db: PrismaClient) {}

  async executions(policyId: bigint, page: Paging) {
    const where = { vendorType: WEBHOOK_VENDOR_TYPE, vendorId: policyId };
    const [total, items] = await this.db.$transaction([
      this.db.execution.count({ where }),
      this.db.execution.findMany({ where, orderBy: { id: "desc" }, skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async execution(policyId: bigint, executionId: bigint): Promise<Execution> {
    const e = await this.db.execution.findFirst({ where: { id: executionId, vendorType: WEBHOOK_VENDOR_TYPE, vendorId: policyId } });
    if (!e) throw new NotFoundError(`execution ${executionId} not found`);
    return e;
  }

  async tasks(executionId: bigint, page: Paging) {
    const [total, items] = await this.db.$transaction([
      this.db.task.count({ where: { executionId } }),
      this.db.task.findMany({ where: { executionId }, orderBy: { id: "asc" }, skip: page.skip, take: page.take }),
    ]);
    return { total, items };
  }

  async task(executionId: bigint, taskId: bigint): Promise<Task> {
    const t = await this.db.task.findFirst({ where: { id: taskId, executionId } });
    if (!t) throw new NotFoundError(`task ${taskId} not found`);
    return t;
  }
}
