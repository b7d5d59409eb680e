// Core with a stalled Redis and a stalled PostgreSQL, the way it happens: their server processes
// SIGSTOPped (a hung disk, a network partition: sockets open, no answer), then SIGCONTed; core
// reaches PostgreSQL through a link that holds every byte during the stall, so connections opened
// then get no answer either (the test server itself keeps serving other test files). Redis:
// logins fail open, say so once, and are limited again afterwards. PostgreSQL: API and token
// requests answer 503 + Retry-After in Harbor's error format within seconds, nothing is
// half-written, and everything works after SIGCONT without a restart.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Writable } from "node:stream";
import { startDatabaseLink, stallBackends, withDatabase, type DatabaseLink } from "@berth/db/testing";
import { createLogger } from "@berth/logger";
import { startPrivateRedis, type PrivateRedis } from "@berth/redis/testing";
import { adminAuth, basic, call, startTestCore, type TestCore } from "./test-support.js";

/** Far above the request paths' limits (a stall is given up after 6 s) and far below a hang. */
const BOUND_MS = 15_000;
const MAX_FAILURES = 3;

async function timed<T>(fn: () => Promise<T>): Promise<T & { ms: number }> {
  const started = performance.now();
  const result = await fn();
  return { ...result, ms: performance.now() - started };
}

describe("core with stalled dependencies", { timeout: 180_000 }, () => {
  let core: TestCore;
  let redis: PrivateRedis;
  let link: DatabaseLink;
  const logLines: string[] = [];
  const failOpenLines = () => logLines.filter((l) => l.includes("login rate limiting is off"));
  const token = (auth: Record<string, string>) => call(core.base, "GET", "/service/token?service=berth-registry&scope=repository:library/app:pull", { headers: auth });

  before(async () => {
    redis = await startPrivateRedis();
    const logger = createLogger({
      service: "core",
      stdout: new Writable({
        write: (chunk: Buffer, _e, cb) => {
          logLines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
          cb();
        },
      }),
    });
    core = await startTestCore({
      redis: redis.url,
      logger,
      loginRateLimit: { maxFailures: MAX_FAILURES, windowSeconds: 300 },
      databaseUrl: async (url) => (link = await startDatabaseLink(url)).url,
      components: { core: async () => undefined, database: async () => core.db.$queryRaw`SELECT 1` },
    });
  });

  after(async () => {
    redis?.resume();
    link?.resume();
    await core?.close();
    await link?.close();
    await redis?.stop();
  });

  describe("Redis stalled", () => {
    it("Basic-auth API calls and token requests keep working (fail open), logged once, not per request", async () => {
      redis.stall();
      try {
        for (let i = 0; i < 4; i++) {
          const me = await timed(() => call(core.base, "GET", "/api/v2.0/users/current", { headers: adminAuth() }));
          assert.equal(me.status, 200, JSON.stringify(me.data));
          assert.equal(me.data.username, "admin");
          assert.ok(me.ms < BOUND_MS, `GET /users/current took ${Math.round(me.ms)} ms`);
          const issued = await timed(() => token(adminAuth()));
          assert.equal(issued.status, 200, JSON.stringify(issued.data));
          assert.ok(typeof issued.data.token === "string");
          assert.ok(issued.ms < BOUND_MS, `token took ${Math.round(issued.ms)} ms`);
        }
        // Wrong credentials are still refused, not rate limited (the limiter is off).
        for (let i = 0; i <= MAX_FAILURES; i++) {
          const wrong = await timed(() => token(basic("admin", "not-the-password")));
          assert.equal(wrong.status, 401);
          assert.ok(wrong.ms < BOUND_MS, `a wrong login took ${Math.round(wrong.ms)} ms`);
        }
        assert.equal(failOpenLines().length, 1, `one fail-open warning for many logins:\n${failOpenLines().join("\n")}`);
        assert.match(failOpenLines()[0]!, /"level":"warn"/);
      } finally {
        redis.resume();
      }
    });

    it("after SIGCONT the limiter counts failures again", async () => {
      // The limiter leaves Redis alone for a few seconds after a failure; then it asks again.
      let status = 0;
      for (let attempt = 0; attempt < 60 && status !== 429; attempt++) {
        status = (await token(basic("admin", "still-not-the-password"))).status;
        if (status !== 429) await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(status, 429, "failed logins are limited again once Redis answers");
      await core.redis!.flushall(); // this file's private Redis: lift the limit for the next test
    });
  });

  describe("PostgreSQL stalled", () => {
    it("API, token and health requests answer 503 + Retry-After (Harbor format) within seconds; nothing half-written; then full service", async () => {
      // Open every pooled connection (4), so each request meets a stalled one, as in production.
      await Promise.all(Array.from({ length: 4 }, () => core.db.$queryRaw`SELECT 1 FROM pg_sleep(0.2)`));
      const [current] = await core.db.$queryRaw<{ name: string }[]>`SELECT current_database() AS name`;
      const stall = await stallBackends(withDatabase(process.env["BERTH_TEST_PG_URL"]!, current!.name));
      link.stall();
      assert.ok(stall.pids.length >= 4, `stopped ${stall.pids.length} backends`);
      try {
        const answers = await Promise.all([
          timed(() => call(core.base, "GET", "/api/v2.0/projects")),
          timed(() => call(core.base, "GET", "/api/v2.0/users/current", { headers: adminAuth() })),
          timed(() => token(adminAuth())),
          timed(() => call(core.base, "POST", "/api/v2.0/projects", { headers: adminAuth(), body: { project_name: "during-stall", metadata: { public: "false" } } })),
        ]);
        for (const a of answers) {
          assert.equal(a.status, 503, JSON.stringify(a.data));
          assert.equal(a.headers.get("retry-after"), "5");
          assert.deepEqual(Object.keys(a.data), ["errors"]);
          assert.equal(a.data.errors[0].code, "SERVICE_UNAVAILABLE");
          assert.equal(typeof a.data.errors[0].message, "string");
          assert.ok(a.ms < BOUND_MS, `answered after ${Math.round(a.ms)} ms`);
        }
        const health = await timed(() => call(core.base, "GET", "/api/v2.0/health"));
        assert.equal(health.status, 503);
        assert.deepEqual(
          health.data.components.map((c: { name: string; status: string }) => [c.name, c.status]),
          [
            ["core", "healthy"],
            ["database", "unhealthy"],
          ],
        );
        assert.ok(health.ms < BOUND_MS, `health answered after ${Math.round(health.ms)} ms`);
      } finally {
        stall.resume();
        link.resume();
      }
      // Full service again, no restart; the project created during the stall does not exist.
      const me = await call(core.base, "GET", "/api/v2.0/users/current", { headers: adminAuth() });
      assert.equal(me.status, 200, JSON.stringify(me.data));
      assert.equal((await call(core.base, "GET", "/api/v2.0/projects/during-stall", { headers: adminAuth() })).status, 404);
      const created = await call(core.base, "POST", "/api/v2.0/projects", { headers: adminAuth(), body: { project_name: "during-stall", metadata: { public: "false" } } });
      assert.equal(created.status, 201, JSON.stringify(created.data));
      assert.equal((await token(adminAuth())).status, 200);
      assert.equal((await call(core.base, "GET", "/api/v2.0/health")).status, 200);
    });
  });
});
