import assert from "node:assert/strict";
import { test } from "node:test";
import { pickPorts } from "./ports.js";

test("ports picked side by side in one process are distinct, and not picked again soon after", async () => {
  const names = Array.from({ length: 150 }, (_, i) => `p${i}`);
  // Two stacks starting at once: neither has bound its ports yet, so each finds the other's free.
  const [a, b] = await Promise.all([pickPorts(names, []), pickPorts(names, [])]);
  const later = await pickPorts(names, []);
  const all = [a, b, later].flatMap((picked) => Object.values<number>(picked));
  assert.equal(new Set(all).size, all.length, "a port was handed out twice");
});
