/**
 * `webhook.deliver`: one attempt to deliver one task (a target of a policy for an event). Each
 * attempt is recorded in the task (run count, log line with status code or error and duration);
 * failures are retried with the queue's exponential backoff, permanent ones stop at once.
 */
import { createHmac } from "node:crypto";
import type { PrismaClient } from "@berth/db";
import { UnrecoverableError, type Job } from "@berth/queue";
import { createCallback, type WebhookEventType, type WebhookTarget } from "@berth/webhooks";
import type { Logger } from "@berth/logger";
import type { ExecutionStore, TaskClaim } from "../executions/execution-store.js";
import { registryEventData } from "../events/subscriber.js";
import { DeliveryError, sendWebhook } from "./http-sender.js";
import { renderPayload } from "./payloads.js";

export interface DeliverDeps {
  db: PrismaClient;
  executions: ExecutionStore;
  logger: Logger;
  externalUrl: string;
  timeoutMs: number;
  denyPrivate: boolean;
  callbackTtlMs: number;
}

/** `sha256=<hex HMAC-SHA256 of body>`: the `X-Berth-Signature` header. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** The task is being delivered by another worker; the job is retried (with its backoff) and then finds it done. */
export class TaskBusyError extends Error {
  constructor(taskId: bigint) {
    super(`task ${taskId} is being delivered by another worker`);
    this.name = "TaskBusyError";
  }
}

export function deliverHandler(deps: DeliverDeps) {
  const log = deps.logger.child({ module: "webhook-delivery" });
  return async (job: Job<{ taskId: number }>): Promise<{ status: number; skipped?: string }> => {
    const taskId = BigInt(job.data.taskId);
    const claim = await deps.executions.claim(taskId);
    if (claim.kind === "missing") throw new UnrecoverableError(`task ${taskId} does not exist`);
    if (claim.kind === "busy") throw new TaskBusyError(taskId);
    if (claim.kind === "finished") return { status: 0, skipped: `task ${taskId} already ${claim.status}` };
    try {
      return await deliver(job, claim.task);
    } finally {
      await claim.release();
    }
  };

  async function deliver(job: Job<{ taskId: number }>, task: Extract<TaskClaim, { kind: "claimed" }>["task"]): Promise<{ status: number }> {
    const taskId = task.id;
    const attrs = task.extraAttrs as unknown as { target: WebhookTarget; event_type: WebhookEventType; event_data?: Record<string, unknown>; operator?: string };
    const target = attrs.target;
    const policy = await deps.db.webhookPolicy.findUnique({ where: { id: task.execution.vendorId } });
    if (!policy || !policy.enabled) {
      await deps.executions.stop(taskId, policy ? "policy disabled" : "policy deleted");
      return { status: 0 };
    }
    const event = task.execution.eventId ? await deps.db.outboxEvent.findUnique({ where: { eventId: task.execution.eventId } }) : null;
    if (!event) {
      await deps.executions.finishAttempt(taskId, { status: "Error", message: "event not found", logLine: "event not found", final: true });
      throw new UnrecoverableError("the task's event no longer exists");
    }
    // Events about one artifact carry it; a replication brings its own event data (in the task).
    const data = attrs.event_data ? { repository: "", digest: "" } : registryEventData(event);
    const project = await deps.db.project.findUnique({ where: { id: policy.projectId }, select: { id: true, name: true, public: true } });
    if (!project) {
      await deps.executions.stop(taskId, "project deleted");
      return { status: 0 };
    }
    const repository = data.repository ? await deps.db.repository.findUnique({ where: { name: data.repository }, select: { createdAt: true } }) : null;

    const attempt = await deps.executions.startAttempt(task);
    const started = Date.now();
    const maxAttempts = job.opts.attempts ?? 1;
    try {
      const callbackUrl =
        target.payload_format === "DockerHub"
          ? `${deps.externalUrl}/api/v2.0/webhook-callbacks/${await createCallback(
              deps.db,
              { taskId, policyId: policy.id, repository: data.repository, digest: data.digest, tag: data.tag, promoteTag: target.promote_tag },
              deps.callbackTtlMs,
            )}`
          : undefined;
      const payload = renderPayload(target.type, target.payload_format, {
        eventType: attrs.event_type,
        eventId: event.eventId,
        occurredAt: data.pulledAt ? new Date(data.pulledAt) : event.createdAt,
        data,
        project,
        policyId: policy.id,
        taskId,
        repositoryCreatedAt: repository?.createdAt,
        externalUrl: deps.externalUrl,
        callbackUrl,
        eventData: attrs.event_data,
        operator: attrs.operator,
      });
      const headers: Record<string, string> = {
        "Content-Type": payload.contentType,
        "User-Agent": "Berth-Webhook/1.0",
        "X-Berth-Event-Id": event.eventId,
        "X-Berth-Event-Type": attrs.event_type,
        "X-Berth-Delivery": `task-${taskId}-${attempt}`,
      };
      if (target.auth_header) headers["Authorization"] = target.auth_header;
      if (target.secret) headers["X-Berth-Signature"] = signBody(target.secret, payload.body);
      const result = await sendWebhook({ address: target.address, body: payload.body, headers, timeoutMs: deps.timeoutMs, skipCertVerify: target.skip_cert_verify, denyPrivate: deps.denyPrivate });
      const ms = Date.now() - started;
      if (result.status >= 200 && result.status < 300) {
        await deps.executions.finishAttempt(taskId, { status: "Success", message: `HTTP ${result.status}`, logLine: `attempt ${attempt}: HTTP ${result.status} from ${result.finalUrl} in ${ms} ms`, final: true });
        return { status: result.status };
      }
      throw new DeliveryError(`HTTP ${result.status} from ${result.finalUrl}: ${result.snippet.replace(/\s+/g, " ").slice(0, 200)}`, false, result.status);
    } catch (err) {
      const ms = Date.now() - started;
      const permanent = err instanceof DeliveryError ? err.permanent : err instanceof UnrecoverableError;
      const final = permanent || job.attemptsMade + 1 >= maxAttempts;
      const message = (err as Error).message;
      await deps.executions.finishAttempt(taskId, {
        status: "Error",
        message: final ? message : `${message}; retrying`,
        logLine: `attempt ${attempt}: ${message} (${ms} ms)${final ? "; giving up" : "; will retry"}`,
        final,
      });
      log.warn("webhook delivery failed", { taskId: String(taskId), address: target.address, attempt, final, err: message });
      if (permanent) throw new UnrecoverableError(message);
      throw err;
    }
  }
}
