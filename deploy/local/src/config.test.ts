import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "@berth/config";
import { loadLocalConfig } from "./config.js";

test("defaults: ./.data under the working directory, 127.0.0.1:8080", () => {
  const config = loadLocalConfig({}, "/repo");
  assert.deepEqual(
    [config.dataDir, config.httpHost, config.httpPort, config.adminPassword, config.logLevel],
    ["/repo/.data", "127.0.0.1", 8080, undefined, "info"],
  );
});

test("reads BERTH_* variables; empty ones count as unset", () => {
  const config = loadLocalConfig(
    { BERTH_DATA_DIR: "/srv/berth", BERTH_HTTP_PORT: "9090", BERTH_ADMIN_PASSWORD: "", BERTH_EXTERNAL_URL: "https://r.example/" },
    "/repo",
  );
  assert.deepEqual([config.dataDir, config.httpPort, config.adminPassword, config.externalUrl], ["/srv/berth", 9090, undefined, "https://r.example"]);
});

test("reports every bad variable at once", () => {
  assert.throws(
    () => loadLocalConfig({ BERTH_HTTP_PORT: "x", BERTH_LOG_LEVEL: "loud" }, "/repo"),
    (err: unknown) => err instanceof ConfigError && err.problems.length === 2,
  );
});

test("restarting crashed processes is the default; BERTH_RESTART_CHILDREN=0 turns it off", () => {
  assert.equal(loadLocalConfig({}, "/repo").restartChildren, true);
  assert.equal(loadLocalConfig({ BERTH_RESTART_CHILDREN: "0" }, "/repo").restartChildren, false);
  assert.equal(loadLocalConfig({ BERTH_RESTART_CHILDREN: "1" }, "/repo").restartChildren, true);
  assert.throws(() => loadLocalConfig({ BERTH_RESTART_CHILDREN: "sometimes" }, "/repo"), ConfigError);
});

test("BERTH_ECHO_LOGS=1 echoes every log line; off by default", () => {
  assert.equal(loadLocalConfig({}, "/repo").echoLogs, false);
  assert.equal(loadLocalConfig({ BERTH_ECHO_LOGS: "1" }, "/repo").echoLogs, true);
});
