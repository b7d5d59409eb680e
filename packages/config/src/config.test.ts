import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backendConnections, CONFIG_ERROR_EXIT_CODE, ConfigError, loadConfigOrExit, nodeOptionsOf, parseConfig, serviceEnv, databaseEnv, redisEnv, z } from "./index.js";

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

test("database and Redis bounds: only what the operator set, so the clients' defaults fill the rest", () => {
  const backend = z.object({ ...databaseEnv, ...redisEnv });
  const base = { BERTH_DATABASE_URL: "postgresql://x/y", BERTH_REDIS_URL: "redis://x" };
  const unset = backendConnections(parseConfig(backend, base));
  assert.deepEqual(unset.databaseLimits, { request: {}, jobs: {} });
  assert.equal(unset.redisCommandTimeoutMs, undefined);
  const set = backendConnections(
    parseConfig(backend, { ...base, BERTH_DB_STATEMENT_TIMEOUT_MS: "2000", BERTH_DB_JOB_STATEMENT_TIMEOUT_MS: "0", BERTH_REDIS_COMMAND_TIMEOUT_MS: "250" }),
  );
  assert.deepEqual(set.databaseLimits, { request: { statementTimeoutMs: 2000 }, jobs: { statementTimeoutMs: 0 } });
  assert.equal(set.redisCommandTimeoutMs, 250);
  assert.throws(() => parseConfig(backend, { ...base, BERTH_DB_CONNECT_TIMEOUT_MS: "0", BERTH_REDIS_COMMAND_TIMEOUT_MS: "soon" }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.problems.map((p) => p.split(":")[0]).sort(), ["BERTH_DB_CONNECT_TIMEOUT_MS", "BERTH_REDIS_COMMAND_TIMEOUT_MS"]);
    return true;
  });
});

test("loadConfigOrExit: every problem on stderr under the service's name, exit 2, no stack trace", () => {
  let written = "";
  let code: number | undefined;
  const io = {
    write: (text: string) => void (written += text),
    exit: (c: number): never => {
      code = c;
      throw new Error("exited");
    },
  };
  assert.throws(() => loadConfigOrExit("core", () => parseConfig(schema, { BERTH_PORT: "x", BERTH_LOG_LEVEL: "loud" }), io), /exited/);
  assert.equal(code, CONFIG_ERROR_EXIT_CODE);
  assert.equal(CONFIG_ERROR_EXIT_CODE, 2);
  assert.match(written, /^core: invalid configuration:\n/);
  for (const key of ["BERTH_PORT", "BERTH_LOG_LEVEL", "BERTH_DATABASE_URL"]) assert.match(written, new RegExp(`  - ${key}: `));
  assert.doesNotMatch(written, /\n\s+at /, "no stack frames");
});

test("loadConfigOrExit: a valid config is returned; other errors propagate", () => {
  const io = { write: () => {}, exit: (): never => assert.fail("must not exit") };
  assert.equal(loadConfigOrExit("x", () => 42, io), 42);
  assert.throws(() => loadConfigOrExit("x", () => { throw new TypeError("a bug"); }, io), TypeError);
});

test("nodeOptionsOf: a program's declared Node flags; none when the file or field is missing; a malformed list throws", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-node-options-"));
  try {
    const file = join(dir, "package.json");
    assert.deepEqual(nodeOptionsOf(join(dir, "missing.json")), []);
    writeFileSync(file, JSON.stringify({ name: "x" }));
    assert.deepEqual(nodeOptionsOf(file), []);
    writeFileSync(file, JSON.stringify({ berth: { nodeOptions: ["--max-semi-space-size=1", "--no-warnings"] } }));
    assert.deepEqual(nodeOptionsOf(file), ["--max-semi-space-size=1", "--no-warnings"]);
    for (const bad of ["--max-semi-space-size=1", ["-e", "1"], ["--flag value"], [1]]) {
      writeFileSync(file, JSON.stringify({ berth: { nodeOptions: bad } }));
      assert.throws(() => nodeOptionsOf(file), /berth.nodeOptions must be a list of flags/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
