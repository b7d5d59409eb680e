/**
 * `POST /api/v2.0/webhook-callbacks/{token}`: a DockerHub-format consumer (e.g. Jenkins) reports
 * its validation of a pushed artifact. Unauthenticated: the token is the credential (long,
 * random, stored hashed, single-use, expiring). Records the validation and emits
 * `artifact.validated` (whose consumers apply `promote_tag`) in one transaction.
 */
import { Router } from "express";
import { z } from "zod";
import type { PrismaClient } from "@berth/db";
import { CallbackGoneError, CallbackUnknownError, consumeCallback, recordValidation, VALIDATION_STATES } from "@berth/webhooks";
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
      const result = await deps.db.$transaction(async (tx) => {
        const cb = await consumeCallback(tx, String(req.params["token"]));
        await recordValidation(tx, { repository: cb.repository, digest: cb.digest, state: input.state, description: input.description, context: input.context, targetUrl: input.target_url, policyId: cb.policyId });
        await tx.outboxEvent.create({
          data: {
            type: "artifact.validated",
            payload: {
              repository: cb.repository,
              digest: cb.digest,
              ...(cb.tag !== null && { tag: cb.tag }),
              state: input.state,
              description: input.description,
              context: input.context,
              target_url: input.target_url,
              policy_id: Number(cb.policyId),
              ...(cb.promoteTag !== null && input.state === "success" && { promote_tag: cb.promoteTag }),
            },
          },
        });
        return cb;
      });
      res.json({ repository: result.repository, digest: result.digest, state: input.state });
    } catch (err) {
      if (err instanceof CallbackUnknownError) throw new NotFoundError(err.message);
      if (err instanceof CallbackGoneError) throw new GoneError(err.message);
      throw err;
    }
  });
  return router;
}
