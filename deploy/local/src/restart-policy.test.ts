import { test } from "node:test";
import assert from "node:assert/strict";
import { RestartPolicy } from "./restart-policy.js";

test("quick crashes in a row back off 0.5, 1, 2, 4 s; the fifth is a crash loop", () => {
  const policy = new RestartPolicy({ enabled: true });
  const decisions = [1, 2, 3, 4, 5].map(() => policy.onCrash("registry", 2_000));
  assert.deepEqual(
    decisions.map((d) => (d.restart ? d.delayMs : d.reason)),
    [500, 1_000, 2_000, 4_000, "crash-loop"],
  );
  // Another process has its own series.
  assert.deepEqual(policy.onCrash("core", 2_000), { restart: true, delayMs: 500, crashes: 1 });
});

test("a process that ran a while before it crashed starts a new series", () => {
  const policy = new RestartPolicy({ enabled: true, stableMs: 60_000 });
  for (let i = 0; i < 4; i++) policy.onCrash("core", 1_000);
  assert.deepEqual(policy.onCrash("core", 61_000), { restart: true, delayMs: 500, crashes: 1 });
});

test("the delay is capped", () => {
  const policy = new RestartPolicy({ enabled: true, maxCrashes: 100, maxDelayMs: 30_000 });
  let last = policy.onCrash("x", 0);
  for (let i = 0; i < 20; i++) last = policy.onCrash("x", 0);
  assert.ok(last.restart && last.delayMs === 30_000);
});

test("disabled (BERTH_RESTART_CHILDREN=0): never restarts", () => {
  assert.deepEqual(new RestartPolicy({ enabled: false }).onCrash("registry", 3_600_000), { restart: false, crashes: 1, reason: "disabled" });
});
