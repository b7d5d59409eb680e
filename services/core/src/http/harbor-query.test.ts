import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidInputError } from "../errors.js";
import { onlyKeys, parseHarborQuery, parseQueryTime, textMatch, timeRange } from "./harbor-query.js";

test("parses Harbor's q patterns", () => {
  const q = parseHarborQuery('operation=create,resource=~library,op_time=[2024-01-01 00:00:00~2024-12-31 00:00:00],username={a b},x="v,1"');
  assert.deepEqual(q.get("operation"), { kind: "exact", value: "create" });
  assert.deepEqual(q.get("resource"), { kind: "fuzzy", value: "library" });
  assert.deepEqual(q.get("op_time"), { kind: "range", min: "2024-01-01 00:00:00", max: "2024-12-31 00:00:00" });
  assert.deepEqual(q.get("username"), { kind: "or", values: ["a", "b"] });
  assert.deepEqual(q.get("x"), { kind: "exact", value: "v,1" });
});

test("rejects malformed q with a 400", () => {
  for (const bad of ["noequals", "a=[1~2", 'a="open', "a=1)", "a=]", "=x", "a=1,a=2", "a=[1~2~3]"]) {
    assert.throws(() => parseHarborQuery(bad), InvalidInputError, bad);
  }
});

test("text matches and supported keys", () => {
  assert.deepEqual(textMatch({ kind: "exact", value: "a" }, "k"), { exact: "a" });
  assert.deepEqual(textMatch({ kind: "fuzzy", value: "a" }, "k"), { contains: "a" });
  assert.deepEqual(textMatch({ kind: "or", values: ["a", "b"] }, "k"), { anyOf: ["a", "b"] });
  assert.throws(() => textMatch({ kind: "range", min: "1" }, "k"), InvalidInputError);
  assert.throws(() => onlyKeys(parseHarborQuery("name=a,evil=1"), ["name"]), /unsupported query key "evil" \(supported: name\)/);
});

test("times: the formats Harbor documents, real dates, years 1–9999", () => {
  assert.equal(parseQueryTime("2020-04-09 02:36:00", "t").toISOString(), "2020-04-09T02:36:00.000Z");
  assert.equal(parseQueryTime("2020-04-09T02:36:00+02:00", "t").toISOString(), "2020-04-09T00:36:00.000Z");
  assert.equal(parseQueryTime("2020-04-09", "t").toISOString(), "2020-04-09T00:00:00.000Z");
  assert.equal(parseQueryTime("2024-02-29", "t").toISOString(), "2024-02-29T00:00:00.000Z");
  for (const bad of ["0000-01-01", "0000-01-01 00:00:00", "2020-02-30", "2021-02-29", "2020-13-01", "2020-01-01 24:00:00", "+275760-09-13", "yesterday", "2020", "99999-01-01", "2020-04-09T02:36:00"]) {
    assert.throws(() => parseQueryTime(bad, "op_time"), InvalidInputError, bad);
  }
  assert.deepEqual(timeRange({ kind: "range", min: "2020-01-01" }, "t"), { from: new Date("2020-01-01T00:00:00Z") });
  assert.throws(() => timeRange({ kind: "range", min: "2021-01-01", max: "2020-01-01" }, "t"), /starts after it ends/);
  assert.throws(() => timeRange({ kind: "exact", value: "2020-01-01" }, "t"), /takes a range/);
});
