/**
 * Webhook bodies, per payload format: Harbor's Default and CloudEvents, Harbor's Slack message,
 * and Docker Hub's push notification (read by consumers such as Jenkins' dockerhub-notification
 * plugin). Pure functions of the event; see docs/webhooks.md for examples.
 */
import { CLOUDEVENT_TYPES, type PayloadFormat, type NotifyType, type WebhookEventType } from "@berth/webhooks";
import type { RegistryEventData } from "../events/subscriber.js";

/** Everything a payload is made of. */
export interface PayloadContext {
  eventType: WebhookEventType;
  eventId: string;
  occurredAt: Date;
  data: RegistryEventData;
  project: { id: number; name: string; public: boolean };
  policyId: bigint;
  taskId: bigint;
  repositoryCreatedAt?: Date | undefined;
  /** Berth's external URL (`http://host:port`, no trailing slash). */
  externalUrl: string;
  /** DockerHub format only. */
  callbackUrl?: string | undefined;
  /** Events that are not about one artifact (REPLICATION) bring their own `event_data` and operator. */
  eventData?: Record<string, unknown> | undefined;
  operator?: string | undefined;
}

export interface RenderedPayload {
  body: string;
  contentType: string;
}

const unix = (d: Date) => Math.floor(d.getTime() / 1000);

/** `host[:port]` of the external URL: how clients name images (`host/ns/name:tag`). */
export function registryHost(externalUrl: string): string {
  return new URL(externalUrl).host;
}

function splitRepository(repository: string): { namespace: string; name: string } {
  const i = repository.indexOf("/");
  return { namespace: repository.slice(0, i), name: repository.slice(i + 1) };
}

/** Harbor's `event_data` (Default `event_data`, CloudEvents `data`). */
export function harborEventData(ctx: PayloadContext) {
  if (ctx.eventData) return ctx.eventData;
  const { data } = ctx;
  const host = registryHost(ctx.externalUrl);
  const { namespace, name } = splitRepository(data.repository);
  return {
    resources: [
      {
        digest: data.digest,
        ...(data.tag !== undefined && { tag: data.tag }),
        resource_url: data.tag !== undefined ? `${host}/${data.repository}:${data.tag}` : `${host}/${data.repository}@${data.digest}`,
        // Scan events carry Harbor's overview of the artifact's reports.
        ...(data["scan_overview"] !== undefined && { scan_overview: data["scan_overview"] }),
      },
    ],
    repository: {
      ...(ctx.repositoryCreatedAt && { date_created: unix(ctx.repositoryCreatedAt) }),
      name,
      namespace,
      repo_full_name: data.repository,
      repo_type: ctx.project.public ? "public" : "private",
    },
    // Quota events say what happened in words, as Harbor does.
    ...(data.details !== undefined && { custom_attributes: { Details: data.details } }),
  };
}

const operatorOf = (ctx: PayloadContext) => ctx.operator ?? ctx.data.actor ?? "anonymous";

function defaultPayload(ctx: PayloadContext) {
  return { type: ctx.eventType, occur_at: unix(ctx.occurredAt), operator: operatorOf(ctx), event_data: harborEventData(ctx) };
}

function cloudEvent(ctx: PayloadContext) {
  return {
    specversion: "1.0",
    id: ctx.eventId,
    requestid: `task-${ctx.taskId}`,
    source: `/projects/${ctx.project.id}/webhook/policies/${ctx.policyId}`,
    type: CLOUDEVENT_TYPES[ctx.eventType],
    datacontenttype: "application/json",
    time: ctx.occurredAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
    data: harborEventData(ctx),
    operator: operatorOf(ctx),
  };
}

/** Harbor's Slack template: a header, the event's fields, and the event data as a code block. */
function slackMessage(ctx: PayloadContext) {
  const payload = defaultPayload(ctx);
  const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });
  return {
    text: `Berth event ${ctx.eventType}${ctx.data.repository ? ` on ${ctx.data.repository}` : ""} by ${payload.operator}`,
    blocks: [
      section("*Berth webhook events*"),
      section(`*event_type:* ${payload.type}`),
      section(`*occur_at:* <!date^${payload.occur_at}^{date} at {time}|${ctx.occurredAt.toISOString()}>`),
      section(`*operator:* ${payload.operator}`),
      section(`*event_data:* \`\`\`${JSON.stringify(payload.event_data, null, 2)}\`\`\``),
    ],
  };
}

/**
 * Docker Hub's push notification. `repository.repo_name` is `host/namespace/name` (how Jenkins
 * jobs name the image they pull); the other fields are Docker Hub's, filled from Berth.
 */
function dockerHubPayload(ctx: PayloadContext) {
  const { data } = ctx;
  const host = registryHost(ctx.externalUrl);
  const { namespace, name } = splitRepository(data.repository);
  const encoded = encodeURIComponent(encodeURIComponent(name));
  return {
    callback_url: ctx.callbackUrl ?? "",
    push_data: {
      images: [data.digest],
      pushed_at: unix(ctx.occurredAt),
      pusher: operatorOf(ctx),
      tag: data.tag ?? "",
    },
    repository: {
      comment_count: 0,
      date_created: ctx.repositoryCreatedAt ? unix(ctx.repositoryCreatedAt) : unix(ctx.occurredAt),
      description: "",
      dockerfile: "",
      full_description: "",
      is_official: false,
      is_private: !ctx.project.public,
      is_trusted: false,
      name,
      namespace,
      owner: namespace,
      repo_name: `${host}/${data.repository}`,
      repo_url: `${ctx.externalUrl}/api/v2.0/projects/${namespace}/repositories/${encoded}`,
      star_count: 0,
      status: "Active",
    },
  };
}

/** The body and content type for a target of `type` in `format`. */
export function renderPayload(type: NotifyType, format: PayloadFormat, ctx: PayloadContext): RenderedPayload {
  if (type === "slack") return { body: JSON.stringify(slackMessage(ctx)), contentType: "application/json" };
  switch (format) {
    case "CloudEvents":
      return { body: JSON.stringify(cloudEvent(ctx)), contentType: "application/cloudevents+json" };
    case "DockerHub":
      return { body: JSON.stringify(dockerHubPayload(ctx)), contentType: "application/json" };
    case "Default":
      return { body: JSON.stringify(defaultPayload(ctx)), contentType: "application/json" };
  }
}
