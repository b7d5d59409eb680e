/**
 * A stalled Redis, the way it happens: its process SIGSTOPped (the socket stays open and nothing
 * answers), then SIGCONTed. Request-path clients give up on each command within their timeout;
 * BullMQ's connections wait (no command timeout) and carry on when Redis resumes. The test runs
 * its own redis-server, so the shared one keeps serving the other test files.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { createLogger } from "@berth/logger";
import { closeRedis, createRedisClient, type Redis } from "./index.js";
import { startPrivateRedis, type PrivateRedis } from "./testing.js";

const logger = createLogger({ service: "test", stdout: new Writable({ write: (_c, _e, cb) => cb() }) });
/** Far above the 300 ms command timeout used here and far below a hang. */
const BOUND_MS = 10_000;

async function ready(client: Redis): Promise<void> {
  if (client.status !== "ready") await once(client, "ready");
}

describe("Redis stalls (SIGSTOP of redis-server)", { timeout: 60_000 }, () => {
  let redis: PrivateRedis;
  let url: string;
  const stall = () => redis.stall();
  const resume = () => redis.resume();

  before(async () => {
    redis = await startPrivateRedis();
    url = redis.url;
  });
  after(async () => {
    await redis?.stop();
  });

  it("a request-path client fails each command within its timeout, and answers correctly after SIGCONT", async () => {
    const client = createRedisClient(url, logger, { commandTimeoutMs: 300 });
    try {
      await ready(client);
      await client.set("stall:k", "before");
      stall();
      for (const [what, command] of [
        ["GET", () => client.get("stall:k")],
        ["MULTI/EXEC", () => client.multi().get("stall:k").ttl("stall:k").exec()],
        ["SET", () => client.set("stall:k", "during")],
      ] as const) {
        const started = performance.now();
        await assert.rejects(command(), /timed out/i, `${what} while Redis is stopped`);
        assert.ok(performance.now() - started < BOUND_MS, `${what} gave up after ${Math.round(performance.now() - started)} ms`);
      }
      resume();
      // The replies to the abandoned commands arrive first; each later command still gets its own.
      assert.equal(await client.incr("stall:n"), 1);
      assert.equal(await client.get("stall:k"), "during");
      assert.equal(await client.ping(), "PONG");
    } finally {
      resume();
      await closeRedis(client);
    }
  });

  it("a BullMQ connection keeps no command timeout: its command waits out the stall and completes", async () => {
    const client = createRedisClient(url, logger, { forQueues: true });
    try {
      await ready(client);
      stall();
      let settled = false;
      const pending = client.incr("stall:queue").finally(() => {
        settled = true;
      });
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(settled, false, "the command is still waiting while Redis is stopped");
      resume();
      assert.equal(await pending, 1);
    } finally {
      resume();
      await closeRedis(client);
    }
  });
});
