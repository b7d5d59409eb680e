/** Core's webhook API (policies, executions, callbacks), mounted by app.ts with one line. */
import { Router } from "express";
import type { AccessControl } from "../auth/access-control.js";
import type { ProjectStore } from "../projects/project-store.js";
import type { WebhookCallbackService } from "./callback-service.js";
import type { WebhookExecutionReader } from "./execution-views.js";
import { webhookCallbackRoutes } from "./webhook-callbacks.routes.js";
import type { WebhookPolicyStore } from "./webhook-policy-store.js";
import { webhookRoutes } from "./webhooks.routes.js";

export interface WebhooksApiDeps {
  projects: ProjectStore;
  access: AccessControl;
  policies: WebhookPolicyStore;
  executions: WebhookExecutionReader;
  callbacks: WebhookCallbackService;
  /** Refuse addresses resolving to private ranges at policy creation (BERTH_WEBHOOK_DENY_PRIVATE). */
  denyPrivate: boolean;
}

export function webhooksApi(deps: WebhooksApiDeps): Router {
  const router = Router();
  router.use(webhookCallbackRoutes({ callbacks: deps.callbacks }));
  router.use(webhookRoutes(deps));
  return router;
}
