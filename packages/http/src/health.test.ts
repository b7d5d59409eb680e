import { test } from "node:test";
import assert from "node:assert/strict";
import { runChecks } from "./health.routes.js";

test("healthy only when every check resolves", async () => {
  const ok = await runChecks({ a: async () => 1, b: async () => undefined });
  assert.equal(ok.status, "healthy");
  assert.deepEqual(ok.components.map((c) => c.status), ["healthy", "healthy"]);

  const bad = await runChecks({ a: async () => 1, b: async () => Promise.reject(new Error("down")) });
  assert.equal(bad.status, "unhealthy");
  assert.deepEqual(bad.components[1], { name: "b", status: "unhealthy", error: "down" });
});

test("a check that never answers is unhealthy after the timeout", async () => {
  const report = await runChecks({ hang: () => new Promise(() => undefined) }, 50);
  assert.equal(report.status, "unhealthy");
  assert.match(report.components[0]?.error ?? "", /no answer within 50 ms/);
});
