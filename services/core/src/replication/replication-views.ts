/** Harbor's JSON shapes of replication policies, executions and tasks. */
import type { Execution, RegistryEndpoint, ReplicationPolicy, Task } from "@berth/db";
import type { StatusCounts } from "@berth/executions";
import { endpointView } from "../registries/registries.routes.js";

/** Execution and task states in the words of Harbor's replication API. */
export const HARBOR_STATUS = { Pending: "Pending", Running: "InProgress", Success: "Succeed", Error: "Failed", Stopped: "Stopped" } as const;
/** Harbor's status words back to the store's (a query may name either). */
export const STORE_STATUSES: Record<string, string[]> = {
  Pending: ["Pending"],
  InProgress: ["Pending", "Running"],
  Running: ["Running"],
  Succeed: ["Success"],
  Success: ["Success"],
  Failed: ["Error"],
  Error: ["Error"],
  Stopped: ["Stopped"],
};
/** Harbor's trigger words of executions. */
export const HARBOR_TRIGGER = { MANUAL: "manual", SCHEDULE: "scheduled", EVENT_BASED: "event_based" } as const;

const harborStatus = (s: string) => HARBOR_STATUS[s as keyof typeof HARBOR_STATUS] ?? s;

/** This Berth as one side of a policy (Harbor shows its own registry with id 0). */
export function localRegistryView(externalUrl: string) {
  return {
    id: 0,
    name: "Local",
    description: "",
    type: "berth",
    url: externalUrl,
    insecure: false,
    credential: { type: "", access_key: "" },
    status: "healthy",
    creation_time: "",
    update_time: "",
  };
}

export function policyView(p: ReplicationPolicy, registries: Map<number, RegistryEndpoint>, externalUrl: string) {
  const side = (id: number | null) => (id === null ? localRegistryView(externalUrl) : registries.has(id) ? endpointView(registries.get(id)!) : null);
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    creator: p.creator,
    src_registry: side(p.srcRegistryId),
    dest_registry: side(p.destRegistryId),
    dest_namespace: p.destNamespace,
    dest_namespace_replace_count: p.destNamespaceReplaceCount,
    trigger: { type: p.triggerType, trigger_settings: { cron: p.cron } },
    filters: p.filters,
    replicate_deletion: p.replicateDeletion,
    deletion: p.replicateDeletion,
    override: p.override,
    enabled: p.enabled,
    speed: p.speed,
    copy_by_chunk: p.copyByChunk,
    single_active_replication: p.singleActiveReplication,
    creation_time: p.createdAt.toISOString(),
    update_time: p.updatedAt.toISOString(),
  };
}

export function executionView(e: Execution, c: StatusCounts) {
  return {
    id: Number(e.id),
    policy_id: Number(e.vendorId),
    status: harborStatus(e.status),
    trigger: HARBOR_TRIGGER[e.trigger as keyof typeof HARBOR_TRIGGER] ?? e.trigger.toLowerCase(),
    start_time: e.startTime.toISOString(),
    end_time: e.endTime?.toISOString() ?? "",
    status_text: e.statusMessage,
    total: c.total,
    failed: c.Error,
    succeed: c.Success,
    in_progress: c.Pending + c.Running,
    stopped: c.Stopped,
  };
}

interface TaskAttrs {
  operation?: string;
  resource_type?: string;
  src_resource?: string;
  dst_resource?: string;
  bytes?: number;
  artifacts_copied?: number;
  artifacts_skipped?: number;
}

/** Harbor's `ReplicationTask`, with Berth's `bytes` (bytes sent), `status_text` and `run_count`. */
export function taskView(t: Task) {
  const a = t.extraAttrs as TaskAttrs;
  return {
    id: Number(t.id),
    execution_id: Number(t.executionId),
    status: harborStatus(t.status),
    status_text: t.statusMessage,
    job_id: `replication-task-${t.id}`,
    operation: a.operation ?? "copy",
    resource_type: a.resource_type ?? "artifact",
    src_resource: a.src_resource ?? "",
    dst_resource: a.dst_resource ?? "",
    bytes: Number(a.bytes ?? 0),
    run_count: t.runCount,
    start_time: t.startTime?.toISOString() ?? "",
    end_time: t.endTime?.toISOString() ?? "",
  };
}
