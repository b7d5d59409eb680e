import { Router } from "express";
import { requireSysadmin } from "../auth/guards.js";
import { auditActor, principalOf } from "../auth/principal.js";
import { parseInput } from "../http/parse-input.js";
import { authSettingsUpdate, type AuthValues } from "./auth-settings.js";
import type { AuthSettingsService } from "./auth-settings-service.js";

/**
 * `GET|PUT /api/v2.0/configurations` (system administrators): the authentication settings,
 * Harbor's shape — GET answers `{key: {value, editable}}` without the secret keys, PUT takes a
 * flat subset `{key: value}` (unknown keys are refused: Berth keeps only these).
 */
export function configurationsRoutes(deps: { settings: AuthSettingsService }): Router {
  const router = Router();
  router.get("/api/v2.0/configurations", requireSysadmin(), async (_req, res) => {
    res.json(await deps.settings.view());
  });
  router.put("/api/v2.0/configurations", requireSysadmin(), async (req, res) => {
    const changes = parseInput(authSettingsUpdate, req.body) as Partial<AuthValues>;
    await deps.settings.update(changes, auditActor(principalOf(res)));
    res.status(200).end();
  });
  return router;
}
