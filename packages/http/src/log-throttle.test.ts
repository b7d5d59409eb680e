import { test } from "node:test";
import assert from "node:assert/strict";
import { LogThrottle } from "./log-throttle.js";

test("logs the first occurrence, then at most once per interval with the count held back", async () => {
  const logged: number[] = [];
  const throttle = new LogThrottle(200);
  for (let i = 0; i < 5; i++) throttle.run((held) => logged.push(held));
  assert.deepEqual(logged, [0]);
  await new Promise((r) => setTimeout(r, 250));
  throttle.run((held) => logged.push(held));
  assert.deepEqual(logged, [0, 4]);
});
