import { test } from "node:test";
import assert from "node:assert/strict";
import { parseHarborQuery } from "./harbor-query.js";

test("parses Harbor's q patterns", () => {
  const q = parseHarborQuery('operation=create,resource=~library,op_time=[2024-01-01 00:00:00~2024-12-31 00:00:00],username={a b},x="v,1"');
  assert.deepEqual(q.get("operation"), { kind: "exact", value: "create" });
  assert.deepEqual(q.get("resource"), { kind: "fuzzy", value: "library" });
  assert.deepEqual(q.get("op_time"), { kind: "range", min: "2024-01-01 00:00:00", max: "2024-12-31 00:00:00" });
  assert.deepEqual(q.get("username"), { kind: "or", values: ["a", "b"] });
  assert.deepEqual(q.get("x"), { kind: "exact", value: "v,1" });
});

test("rejects malformed q", () => {
  for (const bad of ["noequals", "a=[1~2", 'a="open']) assert.throws(() => parseHarborQuery(bad), bad);
});
