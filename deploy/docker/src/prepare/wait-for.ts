/** Waiting for the stack's servers to answer before preparing them. */
import pg from "pg";
import { createRedisClient, closeRedis, pingRedis } from "@berth/redis";
import type { Logger } from "@berth/logger";

/** Retries `check` every second until it resolves or `timeoutMs` passes (then throws its last error). */
export async function waitFor(what: string, check: () => Promise<void>, timeoutMs: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let said = false;
  for (;;) {
    try {
      await check();
      if (said) logger.info(`${what} answers`);
      return;
    } catch (err) {
      last = err;
    }
    if (!said) logger.info(`waiting for ${what}: ${(last as Error).message}`);
    said = true;
    if (Date.now() > deadline) throw new Error(`${what} did not answer within ${Math.round(timeoutMs / 1000)} s: ${(last as Error).message}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** PostgreSQL accepts a connection (a missing database counts: the migrations create it). */
export async function postgresAnswers(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (err) {
    if ((err as { code?: string }).code !== "3D000") throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Redis answers PING (within 3 s of connecting). */
export async function redisAnswers(url: string, logger: Logger): Promise<void> {
  const client = createRedisClient(url, logger.child({ level: "error" }));
  try {
    if (client.status !== "ready") {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no connection within 3 s")), 3_000);
        client.once("ready", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await pingRedis(client);
  } finally {
    await closeRedis(client);
  }
}
