import assert from "node:assert/strict";
import { test } from "node:test";
import { requestedRange, uploadRangeHeader } from "./http-util.js";

test("requestedRange follows RFC 9110 for a single range", () => {
  assert.deepEqual(requestedRange(undefined, 10), { kind: "none" });
  assert.deepEqual(requestedRange("bytes=0-4", 10), { kind: "range", range: { start: 0, end: 4 } });
  assert.deepEqual(requestedRange("bytes=5-", 10), { kind: "range", range: { start: 5, end: 9 } });
  assert.deepEqual(requestedRange("bytes=8-100", 10), { kind: "range", range: { start: 8, end: 9 } });
  assert.deepEqual(requestedRange("bytes=-3", 10), { kind: "range", range: { start: 7, end: 9 } });
  assert.deepEqual(requestedRange("bytes=-30", 10), { kind: "range", range: { start: 0, end: 9 } });
  assert.deepEqual(requestedRange("bytes=10-", 10), { kind: "unsatisfiable" });
  assert.deepEqual(requestedRange("bytes=-0", 10), { kind: "unsatisfiable" });
  assert.deepEqual(requestedRange("bytes=0-", 0), { kind: "unsatisfiable" });
  assert.deepEqual(requestedRange("bytes=5-2", 10), { kind: "none" });
  assert.deepEqual(requestedRange("bytes=0-1,3-4", 10), { kind: "none" });
  assert.deepEqual(requestedRange("items=0-1", 10), { kind: "none" });
});

test("upload Range header is Distribution's 0-<offset-1>", () => {
  assert.equal(uploadRangeHeader(0), "0-0");
  assert.equal(uploadRangeHeader(10), "0-9");
});
