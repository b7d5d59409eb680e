import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "@berth/config";
import { loadConfig } from "./config.js";

const base = { BERTH_PORT: "5000", BERTH_DATABASE_URL: "postgresql://u@h/db", BERTH_REDIS_URL: "redis://h:6379" };

test("defaults: filesystem storage under the data dir, token settings from the external URL", () => {
  const c = loadConfig({ ...base, BERTH_DATA_DIR: "/srv/berth" });
  assert.deepEqual(c.storage, { driver: "filesystem", rootDirectory: "/srv/berth/registry" });
  assert.deepEqual(c.token, {
    certFile: "/srv/berth/secrets/token/tls.crt",
    service: "berth-registry",
    issuer: "berth-token-issuer",
    realm: "http://127.0.0.1:8080/service/token",
  });
  const e = loadConfig({ ...base, BERTH_DATA_DIR: "/srv/berth", BERTH_EXTERNAL_URL: "https://r.example/" });
  assert.equal(e.token.realm, "https://r.example/service/token");
});

test("every problem is reported at once, storage included", () => {
  assert.throws(
    () => loadConfig({ BERTH_PORT: "x", BERTH_STORAGE_DRIVER: "ftp" }),
    (err) => err instanceof ConfigError && err.problems.some((p) => p.includes("BERTH_STORAGE_DRIVER")) && err.problems.some((p) => p.includes("BERTH_PORT")),
  );
});

test("s3 storage is read from BERTH_STORAGE_S3_*", () => {
  const c = loadConfig({ ...base, BERTH_STORAGE_DRIVER: "s3", BERTH_STORAGE_S3_BUCKET: "berth-blobs" });
  assert.equal(c.storage.driver, "s3");
});

test("proxy cache settings: revalidation period, upstream timeout and the data key (defaults and bounds)", () => {
  const d = loadConfig({ ...base, BERTH_DATA_DIR: "/srv/berth" });
  assert.deepEqual(d.proxy, { revalidateMs: 60_000, upstreamTimeoutMs: 10_000 });
  assert.equal(d.dataKeyFile, "/srv/berth/secrets/data-key");
  const c = loadConfig({ ...base, BERTH_PROXY_REVALIDATE_SECONDS: "0", BERTH_PROXY_UPSTREAM_TIMEOUT_SECONDS: "3", BERTH_DATA_KEY_FILE: "/run/key" });
  assert.deepEqual(c.proxy, { revalidateMs: 0, upstreamTimeoutMs: 3_000 });
  assert.equal(c.dataKeyFile, "/run/key");
  assert.throws(
    () => loadConfig({ ...base, BERTH_PROXY_REVALIDATE_SECONDS: "-1", BERTH_PROXY_UPSTREAM_TIMEOUT_SECONDS: "0" }),
    (err) => err instanceof ConfigError && err.problems.some((p) => p.includes("BERTH_PROXY_REVALIDATE_SECONDS")) && err.problems.some((p) => p.includes("BERTH_PROXY_UPSTREAM_TIMEOUT_SECONDS")),
  );
});
