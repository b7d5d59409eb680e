/**
 * A consumer's answer to a DockerHub-format callback (`POST /api/v2.0/webhook-callbacks/{token}`,
 * served by core): consumes the token, records the artifact's validation and writes the
 * `artifact.validated` outbox event — with `promote_tag` on `success` when the target has one,
 * which jobservice's promote-tag subscriber applies through registry-store — in one transaction.
 */
import type { PrismaClient, WebhookCallback } from "@berth/db";
import type { OutboxEventPayload, OutboxEventType } from "@berth/queue/events";
import { consumeCallback } from "./callback-store.js";
import { recordValidation, type ValidationState } from "./validation-store.js";

/** The consumer's report (Docker Hub's callback body). */
export interface CallbackAnswer {
  state: ValidationState;
  description: string;
  context: string;
  target_url: string;
}

/**
 * Applies `answer` to the callback of `token`; returns the consumed callback.
 *
 * @throws {CallbackUnknownError} | {CallbackGoneError}
 */
export async function answerCallback(db: PrismaClient, token: string, answer: CallbackAnswer): Promise<WebhookCallback> {
  return db.$transaction(async (tx) => {
    const cb = await consumeCallback(tx, token);
    await recordValidation(tx, { repository: cb.repository, digest: cb.digest, state: answer.state, description: answer.description, context: answer.context, targetUrl: answer.target_url, policyId: cb.policyId });
    const payload: OutboxEventPayload<"artifact.validated"> = {
      repository: cb.repository,
      digest: cb.digest,
      ...(cb.tag !== null && { tag: cb.tag }),
      state: answer.state,
      description: answer.description,
      context: answer.context,
      target_url: answer.target_url,
      policy_id: Number(cb.policyId),
      ...(cb.promoteTag !== null && answer.state === "success" && { promote_tag: cb.promoteTag }),
    };
    await tx.outboxEvent.create({ data: { type: "artifact.validated" satisfies OutboxEventType, payload } });
    return cb;
  });
}
