import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, parseConfig, serviceEnv, databaseEnv, z } from "./index.js";

const schema = z.object({ ...serviceEnv, ...databaseEnv });

test("parses and applies defaults", () => {
  const cfg = parseConfig(schema, { BERTH_PORT: "8081", BERTH_DATABASE_URL: "postgresql://berth@127.0.0.1/berth" });
  assert.equal(cfg.BERTH_PORT, 8081);
  assert.equal(cfg.BERTH_HOST, "127.0.0.1");
  assert.equal(cfg.BERTH_LOG_LEVEL, "info");
});

test("reports every problem at once", () => {
  assert.throws(
    () => parseConfig(schema, { BERTH_PORT: "99999", BERTH_LOG_LEVEL: "loud", BERTH_LOG_COLLECTOR_URL: "ftp://x" }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const keys = err.problems.map((p) => p.split(":")[0]);
      assert.deepEqual(keys.sort(), ["BERTH_DATABASE_URL", "BERTH_LOG_COLLECTOR_URL", "BERTH_LOG_LEVEL", "BERTH_PORT"]);
      return true;
    },
  );
});

test("strips the trailing slash of URLs", () => {
  const cfg = parseConfig(schema, {
    BERTH_PORT: "1",
    BERTH_DATABASE_URL: "postgres://x/y",
    BERTH_LOG_COLLECTOR_URL: "http://127.0.0.1:9000/",
  });
  assert.equal(cfg.BERTH_LOG_COLLECTOR_URL, "http://127.0.0.1:9000");
});
