import assert from "node:assert/strict";
import { test } from "node:test";
import { counter, gauge, histogram, renderMetrics, startProcessMetrics } from "./index.js";

test("a metric defined twice (a module loaded by two apps) is the same metric", () => {
  const a = counter({ name: "berth_test_things_total", help: "things", labelNames: ["kind"] });
  const b = counter({ name: "berth_test_things_total", help: "things", labelNames: ["kind"] });
  assert.equal(a, b);
  assert.throws(() => gauge({ name: "berth_test_things_total", help: "not a gauge" }), /already registered as another type/);
});

test("the exposition carries every metric with the service label, and process metrics", async () => {
  startProcessMetrics("unit-test");
  counter({ name: "berth_test_counted_total", help: "counted", labelNames: ["kind"] }).inc({ kind: "x" }, 3);
  histogram({ name: "berth_test_seconds", help: "timed", buckets: [0.1, 1] }).observe(0.5);
  const { contentType, body } = await renderMetrics();
  assert.match(contentType, /^text\/plain/);
  assert.match(body, /^berth_test_counted_total\{kind="x",service="unit-test"\} 3$/m);
  assert.match(body, /^berth_test_seconds_bucket\{le="0.1",service="unit-test"\} 0$/m);
  assert.match(body, /^berth_test_seconds_bucket\{le="1",service="unit-test"\} 1$/m);
  assert.match(body, /^berth_process_resident_memory_bytes\{service="unit-test"\} \d+/m);
  assert.match(body, /^berth_nodejs_eventloop_lag_seconds\{service="unit-test"\}/m);
});
