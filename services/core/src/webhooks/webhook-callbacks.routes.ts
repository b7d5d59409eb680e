/**
 * `POST /api/v2.0/webhook-callbacks/{token}`: a DockerHub-format consumer (e.g. Jenkins) reports
 * its validation of a pushed artifact. Unauthenticated: the token is the credential (long,
 * random, stored hashed, single-use, expiring). `@berth/webhooks`' `answerCallback` records the
 * validation and emits `artifact.validated` in one transaction; jobservice's promote-tag
 * subscriber then adds `promote_tag` through registry-store (retried until it succeeds).
 */
import { Router } from "express";
import { z } from "zod";
import type { PrismaClient } from "@berth/db";
import { answerCallback, CallbackGoneError, CallbackUnknownError, VALIDATION_STATES } from "@berth/webhooks";
import { ApiError, NotFoundError, parseInput } from "../errors.js";

class GoneError extends ApiError {
  constructor(message: string) {
    super(410, "GONE", message);
  }
}

const body = z.object({
  state: z.enum(VALIDATION_STATES),
  description: z.string().max(1024).default(""),
  context: z.string().max(256).default(""),
  target_url: z.string().max(2048).default(""),
});

export function webhookCallbackRoutes(deps: { db: PrismaClient }): Router {
  const router = Router();
  router.post("/api/v2.0/webhook-callbacks/:token", async (req, res) => {
    const input = parseInput(body, req.body);
    try {
      const result = await answerCallback(deps.db, String(req.params["token"]), input);
      res.json({ repository: result.repository, digest: result.digest, state: input.state });
    } catch (err) {
      if (err instanceof CallbackUnknownError) throw new NotFoundError(err.message);
      if (err instanceof CallbackGoneError) throw new GoneError(err.message);
      throw err;
    }
  });
  return router;
}
