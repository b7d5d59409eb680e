import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "./config.js";

const base = { BERTH_PORT: "8083", BERTH_DATABASE_URL: "postgresql://berth@127.0.0.1:5432/berth", BERTH_REDIS_URL: "redis://127.0.0.1:6379" };

test("storage defaults to the registry's filesystem root under BERTH_DATA_DIR", () => {
  assert.deepEqual(loadConfig({ ...base, BERTH_DATA_DIR: "/srv/berth" }).storage, { driver: "filesystem", rootDirectory: "/srv/berth/registry" });
  assert.deepEqual(loadConfig({ ...base, BERTH_STORAGE_FILESYSTEM_ROOT: "/mnt/blobs" }).storage, { driver: "filesystem", rootDirectory: "/mnt/blobs" });
});

test("the gc queue always runs one job at a time", () => {
  const c = loadConfig({ ...base, BERTH_QUEUE_CONCURRENCY: "8", BERTH_QUEUE_CONCURRENCY_GC: "4" });
  assert.equal(c.concurrency.gc, 1);
  assert.equal(c.concurrency.events, 8);
});
