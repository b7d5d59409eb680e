import type { PrismaClient, WebhookCallback } from "@berth/db";
import { answerCallback, type CallbackAnswer } from "@berth/webhooks";

/**
 * DockerHub-format callbacks: a consumer's answer consumes its token, records the artifact's
 * validation and writes `artifact.validated` in one transaction (`@berth/webhooks`).
 */
export class WebhookCallbackService {
  constructor(private readonly db: PrismaClient) {}

  /** @throws {CallbackUnknownError} | {CallbackGoneError} */
  answer(token: string, answer: CallbackAnswer): Promise<WebhookCallback> {
    return answerCallback(this.db, token, answer);
  }
}
