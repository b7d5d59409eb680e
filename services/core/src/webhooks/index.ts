/** Core's webhook API (policies, executions, callbacks), mounted by app.ts with one line. */
import { Router } from "express";
import type { PrismaClient } from "@berth/db";
import type { AccessControl } from "../auth/access-control.js";
import type { ProjectStore } from "../projects/project-store.js";
import { WebhookExecutionReader } from "./execution-views.js";
import { webhookCallbackRoutes } from "./webhook-callbacks.routes.js";
import { WebhookPolicyStore } from "./webhook-policy-store.js";
import { webhookRoutes } from "./webhooks.routes.js";

export { validationOf, type ArtifactValidationView } from "@berth/webhooks";

export function webhooksApi(deps: { db: PrismaClient; projects: ProjectStore; access: AccessControl; denyPrivate?: boolean }): Router {
  const router = Router();
  router.use(webhookCallbackRoutes({ db: deps.db }));
  router.use(
    webhookRoutes({
      projects: deps.projects,
      access: deps.access,
      policies: new WebhookPolicyStore(deps.db),
      executions: new WebhookExecutionReader(deps.db),
      denyPrivate: deps.denyPrivate ?? false,
    }),
  );
  return router;
}
