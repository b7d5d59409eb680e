/**
 * Callback tokens of DockerHub-format deliveries: `<external URL>/api/v2.0/webhook-callbacks/<token>`.
 * Only the token's SHA-256 is stored; a token is single-use and expires.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Prisma, PrismaClient, WebhookCallback } from "@berth/db";

/** The Prisma client or an interactive transaction's client. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** How long a callback URL stays valid by default. */
export const CALLBACK_TTL_MS = 24 * 3600 * 1000;

/** No callback has this token. */
export class CallbackUnknownError extends Error {
  constructor() {
    super("unknown webhook callback");
    this.name = "CallbackUnknownError";
  }
}

/** The callback expired or was already used. */
export class CallbackGoneError extends Error {
  constructor(readonly why: "expired" | "used") {
    super(why === "used" ? "this webhook callback was already used" : "this webhook callback has expired");
    this.name = "CallbackGoneError";
  }
}

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** What a callback is about. */
export interface CallbackSubject {
  taskId: bigint;
  policyId: bigint;
  repository: string;
  digest: string;
  tag?: string | undefined;
  promoteTag?: string | undefined;
}

/** Creates a callback and returns its token (shown once, in the delivered payload). */
export async function createCallback(db: Db, subject: CallbackSubject, ttlMs = CALLBACK_TTL_MS, now = new Date()): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await db.webhookCallback.create({
    data: {
      id: hashToken(token),
      taskId: subject.taskId,
      policyId: subject.policyId,
      repository: subject.repository,
      digest: subject.digest,
      tag: subject.tag ?? null,
      promoteTag: subject.promoteTag ?? null,
      expiresAt: new Date(now.getTime() + ttlMs),
    },
  });
  return token;
}

/**
 * Marks the callback of `token` used and returns it; atomic, so two concurrent calls cannot
 * both succeed. Run it in the transaction that records the callback's effect.
 *
 * @throws {CallbackUnknownError} | {CallbackGoneError}
 */
export async function consumeCallback(db: Db, token: string, now = new Date()): Promise<WebhookCallback> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw new CallbackUnknownError();
  const id = hashToken(token);
  const { count } = await db.webhookCallback.updateMany({ where: { id, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
  const row = await db.webhookCallback.findUnique({ where: { id } });
  if (!row) throw new CallbackUnknownError();
  if (count === 1) {
    // Retried deliveries each carried their own URL; one answer settles them all.
    await db.webhookCallback.updateMany({ where: { taskId: row.taskId, usedAt: null }, data: { usedAt: now } });
    return row;
  }
  throw new CallbackGoneError(row.usedAt ? "used" : "expired");
}

/** Deletes callbacks that expired more than `graceMs` ago (kept a while so late calls get 410, not 404). */
export async function purgeExpiredCallbacks(db: Db, graceMs = 7 * 24 * 3600 * 1000, now = new Date()): Promise<number> {
  const { count } = await db.webhookCallback.deleteMany({ where: { expiresAt: { lt: new Date(now.getTime() - graceMs) } } });
  return count;
}
