import assert from "node:assert/strict";
import { test } from "node:test";
import { measureRssGrowth } from "./test-support.js";

test("measureRssGrowth notices memory that is held (control for the bounded-memory tests)", async () => {
  const held: Buffer[] = [];
  const m = await measureRssGrowth(async (sample) => {
    for (let i = 0; i < 96; i++) {
      held.push(Buffer.alloc(1024 * 1024, i));
      sample();
    }
  });
  assert.ok(m.growth > 80 * 1024 * 1024, `RSS growth ${m.growth}`);
  assert.ok(m.jsGrowth > 80 * 1024 * 1024, `JS growth ${m.jsGrowth}`);
  held.length = 0;
});
