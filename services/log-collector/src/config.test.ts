import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "@berth/config";
import { loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("applies defaults", () => {
    const c = loadConfig({ BERTH_PORT: "9090", BERTH_LOG_DIR: "/data/logs", BERTH_LOG_COLLECTOR_URL: "http://127.0.0.1:9090" });
    assert.deepEqual(c, {
      host: "127.0.0.1",
      port: 9090,
      logLevel: "info",
      logDir: "/data/logs",
      syslogPort: undefined,
      rotateSize: "10M",
      rotateInterval: "1d",
      maxFiles: 14,
      maxAgeDays: undefined,
      maxBodyBytes: 5 * 1024 * 1024,
    });
  });

  it("reads every variable, resolves a relative log dir and treats empty as unset", () => {
    const c = loadConfig({
      BERTH_HOST: "0.0.0.0",
      BERTH_PORT: "9090",
      BERTH_LOG_LEVEL: "debug",
      BERTH_LOG_DIR: ".data/logs",
      BERTH_SYSLOG_PORT: "5514",
      BERTH_LOG_ROTATE_SIZE: "500K",
      BERTH_LOG_ROTATE_INTERVAL: "off",
      BERTH_LOG_MAX_FILES: "3",
      BERTH_LOG_MAX_AGE_DAYS: "",
    });
    assert.equal(c.logDir, path.resolve(".data/logs"));
    assert.equal(c.syslogPort, 5514);
    assert.equal(c.rotateSize, "500K");
    assert.equal(c.rotateInterval, undefined);
    assert.equal(c.maxFiles, 3);
    assert.equal(c.maxAgeDays, undefined);
    assert.equal(c.logLevel, "debug");
  });

  it("reports every problem at once", () => {
    assert.throws(
      () =>
        loadConfig({
          BERTH_PORT: "http",
          BERTH_SYSLOG_PORT: "70000",
          BERTH_LOG_ROTATE_SIZE: "10MB",
          BERTH_LOG_ROTATE_INTERVAL: "7h",
          BERTH_LOG_MAX_FILES: "0",
          BERTH_LOG_LEVEL: "loud",
        }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const keys = err.problems.map((p) => p.split(":")[0]).sort();
        assert.deepEqual(keys, [
          "BERTH_LOG_DIR",
          "BERTH_LOG_LEVEL",
          "BERTH_LOG_MAX_FILES",
          "BERTH_LOG_ROTATE_INTERVAL",
          "BERTH_LOG_ROTATE_SIZE",
          "BERTH_PORT",
          "BERTH_SYSLOG_PORT",
        ]);
        return true;
      },
    );
  });
});
