// The project pages' API: settings (project metadata and CVE allowlist), quota, webhooks and
// their deliveries, retention, immutability and labels. Types are Harbor's (harbor.gen.ts).
import { useQuery } from "@tanstack/react-query";
import type { definitions } from "./harbor.gen";
import { json, page, request, text } from "./client.js";

type Defs = definitions;
export type WebhookPolicy = Defs["WebhookPolicy"] & { enabled?: boolean };
export type WebhookTarget = Defs["WebhookTargetObject"];
export type WebhookEvents = Defs["SupportedWebhookEventTypes"];
export type Execution = Defs["Execution"];
export type Task = Defs["Task"];
export type RetentionPolicy = Defs["RetentionPolicy"];
export type RetentionRule = Defs["RetentionRule"];
export type RetentionMetadata = Defs["RetentionMetadata"];
export type RetentionExecution = Defs["RetentionExecution"];
export type RetentionTask = Defs["RetentionExecutionTask"];
export type Selector = Defs["RetentionSelector"];
export type ImmutableRule = Defs["ImmutableRule"];
export type Label = Defs["Label"];
export type Quota = Defs["Quota"];

/** A project in a path (by name: core reads names and ids alike). */
export const projectPath = (project: string) => `/projects/${encodeURIComponent(project)}`;
const byName = { "X-Is-Resource-Name": "true" };

/** Query keys of what the project pages show (writes invalidate them). */
export const keys = {
  project: (name: string) => ["project", name],
  quota: (id: number) => ["quota", id],
  webhooks: (name: string) => ["webhooks", name],
  deliveries: (name: string, policy: number) => ["webhook-deliveries", name, policy],
  retention: (id: number) => ["retention", id],
  retentionRuns: (id: number) => ["retention-runs", id],
  immutability: (name: string) => ["immutability", name],
  labels: (projectId: number) => ["labels", projectId],
};

export function updateProject(name: string, body: unknown) {
  return json(projectPath(name), { method: "PUT", headers: byName, body });
}

/** The project's quota (system administrators only: core refuses anyone else). */
export function useQuota(projectId: number, enabled: boolean) {
  return useQuery({ queryKey: keys.quota(projectId), queryFn: () => json<Quota>(`/quotas/${projectId}`), enabled });
}
export const setQuota = (projectId: number, storage: number) => json(`/quotas/${projectId}`, { method: "PUT", body: { hard: { storage } } });

// Webhooks
const hooks = (project: string) => `${projectPath(project)}/webhook`;
export const webhookPage = (project: string, query: { page: number; page_size: number }) => page<WebhookPolicy>(`${hooks(project)}/policies`, query);
export const useWebhookEvents = (project: string) => useQuery({ queryKey: ["webhook-events", project], queryFn: () => json<WebhookEvents>(`${hooks(project)}/events`), staleTime: Infinity });
export const saveWebhook = (project: string, policy: WebhookPolicy) =>
  policy.id ? json(`${hooks(project)}/policies/${policy.id}`, { method: "PUT", body: policy }) : json(`${hooks(project)}/policies`, { method: "POST", body: policy });
export const deleteWebhook = (project: string, id: number) => json(`${hooks(project)}/policies/${id}`, { method: "DELETE" });
export const deliveryPage = (project: string, policy: number, query: { page: number; page_size: number }) => page<Execution>(`${hooks(project)}/policies/${policy}/executions`, query);
export const deliveryTasks = (project: string, policy: number, execution: number) => json<Task[]>(`${hooks(project)}/policies/${policy}/executions/${execution}/tasks`, { query: { page_size: 100 } });
export const deliveryLog = (project: string, policy: number, execution: number, task: number) => text(`${hooks(project)}/policies/${policy}/executions/${execution}/tasks/${task}/log`);

// Retention (one policy per project, named by the project's `retention_id` metadata)
export const useRetentionMetadata = () => useQuery({ queryKey: ["retention-metadata"], queryFn: () => json<RetentionMetadata>("/retentions/metadatas"), staleTime: Infinity });
export const useRetention = (id: number | undefined) => useQuery({ queryKey: keys.retention(id ?? 0), queryFn: () => json<RetentionPolicy>(`/retentions/${id}`), enabled: id !== undefined });
export async function saveRetention(policy: RetentionPolicy): Promise<number> {
  if (policy.id) {
    await json(`/retentions/${policy.id}`, { method: "PUT", body: policy });
    return policy.id;
  }
  const res = await request("/retentions", { method: "POST", body: policy });
  return Number((res.headers.get("Location") ?? "").split("/").pop());
}
export const runRetention = (id: number, dryRun: boolean) => json(`/retentions/${id}/executions`, { method: "POST", body: { dry_run: dryRun } });
export const retentionRunPage = (id: number, query: { page: number; page_size: number }) => page<RetentionExecution>(`/retentions/${id}/executions`, query);
export const retentionTasks = (id: number, execution: number) => json<RetentionTask[]>(`/retentions/${id}/executions/${execution}/tasks`, { query: { page_size: 100 } });
export const retentionLog = (id: number, execution: number, task: number) => text(`/retentions/${id}/executions/${execution}/tasks/${task}`);

// Immutability
const immutable = (project: string) => `${projectPath(project)}/immutabletagrules`;
export const immutableRulePage = (project: string, query: { page: number; page_size: number }) => page<ImmutableRule>(immutable(project), query);
export const saveImmutableRule = (project: string, rule: ImmutableRule) =>
  rule.id ? json(`${immutable(project)}/${rule.id}`, { method: "PUT", body: rule }) : json(immutable(project), { method: "POST", body: rule });
export const deleteImmutableRule = (project: string, id: number) => json(`${immutable(project)}/${id}`, { method: "DELETE" });

// Labels (scope p)
export const labelPage = (projectId: number, query: { page: number; page_size: number }) => page<Label>("/labels", { ...query, scope: "p", project_id: projectId });
export const useProjectLabels = (projectId: number, enabled = true) =>
  useQuery({ queryKey: [...keys.labels(projectId), "all"], queryFn: () => json<Label[]>("/labels", { query: { scope: "p", project_id: projectId, page_size: 100 } }), enabled });
export const saveLabel = (label: Label) => (label.id ? json(`/labels/${label.id}`, { method: "PUT", body: label }) : json("/labels", { method: "POST", body: { ...label, scope: "p" } }));
export const deleteLabel = (id: number) => json(`/labels/${id}`, { method: "DELETE" });
