/**
 * `POST /api/v2.0/webhook-callbacks/{token}`: a DockerHub-format consumer (e.g. Jenkins) reports
 * its validation of a pushed artifact. Unauthenticated: the token is the credential (long,
 * random, stored hashed, single-use, expiring); an unknown token is 404, a used or expired one
 * 410. Jobservice's promote-tag subscriber then adds `promote_tag` through registry-store.
 */
import { Router } from "express";
import { z } from "zod";
import { VALIDATION_STATES } from "@berth/webhooks";
import { parseInput } from "../http/parse-input.js";
import type { WebhookCallbackService } from "./callback-service.js";

const body = z.object({
  state: z.enum(VALIDATION_STATES),
  description: z.string().max(1024).default(""),
  context: z.string().max(256).default(""),
  target_url: z.string().max(2048).default(""),
});

export function webhookCallbackRoutes(deps: { callbacks: WebhookCallbackService }): Router {
  const router = Router();
  router.post("/api/v2.0/webhook-callbacks/:token", async (req, res) => {
    const input = parseInput(body, req.body);
    const result = await deps.callbacks.answer(String(req.params["token"]), input);
    res.json({ repository: result.repository, digest: result.digest, state: input.state });
  });
  return router;
}
