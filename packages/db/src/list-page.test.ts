import assert from "node:assert/strict";
import { test } from "node:test";
import { orderItems, pageWindow } from "./list-page.js";

/** The rows a window selects from the list 0 … total-1, in the list's order. */
function rows(total: number, skip: number, take: number): number[] {
  const w = pageWindow(total, skip, take);
  const list = Array.from({ length: total }, (_, i) => i);
  const walked = w.reversed ? [...list].reverse() : list;
  const page = walked.slice(w.offset, w.offset + w.limit);
  return w.reversed ? page.reverse() : page;
}

test("every page is the same rows read from either end, and never walks past the middle", () => {
  for (const total of [0, 1, 2, 7, 100, 101, 1000]) {
    for (const take of [1, 3, 10, 100]) {
      for (let skip = 0; skip <= total + take; skip += Math.max(1, Math.floor(take / 2))) {
        const expected = Array.from({ length: Math.max(0, Math.min(take, total - skip)) }, (_, i) => skip + i);
        assert.deepEqual(rows(total, skip, take), expected, `total ${total}, skip ${skip}, take ${take}`);
        const w = pageWindow(total, skip, take);
        if (w.limit > 0) assert.ok(w.offset <= Math.ceil(total / 2), `total ${total}, skip ${skip}: offset ${w.offset} walks past the middle`);
      }
    }
  }
});

test("the last page of 100,000 is read from the end", () => {
  assert.deepEqual(pageWindow(100_000, 99_900, 100), { reversed: true, offset: 0, limit: 100 });
  assert.deepEqual(pageWindow(100_000, 0, 100), { reversed: false, offset: 0, limit: 100 });
  assert.deepEqual(pageWindow(100_000, 100_000, 100), { reversed: false, offset: 100_000, limit: 0 });
});

test("an order and its reverse flip every direction, NULLS placement and the tie-breaker", () => {
  const columns = { name: "r.name", time: "r.created_at" };
  const text = (s: ReturnType<typeof orderItems>) => s.sql;
  assert.equal(text(orderItems([{ field: "time", direction: "desc" }, { field: "name", direction: "asc" }], columns, "r.id")), "r.created_at DESC NULLS LAST, r.name ASC NULLS FIRST, r.id DESC NULLS LAST");
  assert.equal(text(orderItems([{ field: "time", direction: "desc" }, { field: "name", direction: "asc" }], columns, "r.id", true)), "r.created_at ASC NULLS FIRST, r.name DESC NULLS LAST, r.id ASC NULLS FIRST");
});
