import { Router } from "express";
import { requireSysadmin } from "./guards.js";

/**
 * Endpoints for nginx's `auth_request` (not part of the public API): `/jobs/` is for
 * system administrators only. Answers 200, 401 or 403 with no body worth reading.
 */
export function internalAuthRoutes(): Router {
  const router = Router();
  router.get("/api/internal/auth/sysadmin", requireSysadmin(), (_req, res) => {
    res.status(200).end();
  });
  return router;
}
