import { Router } from "express";

export interface SystemInfo {
  externalUrl: string;
  version: string;
}

/** `GET /api/v2.0/systeminfo` — a subset of Harbor's `GeneralInfo`, for anyone. */
export function systemInfoRoutes(info: SystemInfo): Router {
  const router = Router();
  router.get("/api/v2.0/systeminfo", (_req, res) => {
    res.json({
      auth_mode: "db_auth",
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
