import { Router } from "express";
import type { AuthSettingsService } from "../identity/auth-settings-service.js";

export interface SystemInfo {
  externalUrl: string;
  version: string;
  settings: AuthSettingsService;
}

/** `GET /api/v2.0/systeminfo` — a subset of Harbor's `GeneralInfo`, for anyone. */
export function systemInfoRoutes(info: SystemInfo): Router {
  const router = Router();
  router.get("/api/v2.0/systeminfo", async (_req, res) => {
    const auth = await info.settings.settings();
    res.json({
      auth_mode: auth.mode,
      // The portal's sign-in button names the provider (Harbor's GeneralInfo).
      ...(auth.mode === "oidc_auth" && { oidc_provider_name: auth.oidc.name }),
      primary_auth_mode: false,
      registry_url: new URL(info.externalUrl).host,
      external_url: info.externalUrl,
      berth_version: info.version,
      project_creation_restriction: "everyone",
      self_registration: false,
      has_ca_root: false,
      read_only: false,
      notification_enable: true,
      current_time: new Date().toISOString(),
    });
  });
  return router;
}
