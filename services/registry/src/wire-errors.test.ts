import assert from "node:assert/strict";
import { test } from "node:test";
import { DatabaseUnavailableError, SqlTransactionTimeoutError } from "@berth/db";
import { toWireError } from "./wire-errors.js";

test("a database that does not answer is 503 UNAVAILABLE (as Distribution) with a retry delay", () => {
  for (const err of [new DatabaseUnavailableError(), new SqlTransactionTimeoutError("ran past 10000 ms"), new Error("timeout exceeded when trying to connect")]) {
    const wire = toWireError(err);
    assert.equal(wire?.status, 503, String(err));
    assert.deepEqual(wire?.errors.map((e) => e.code), ["UNAVAILABLE"]);
    assert.equal(wire?.retryAfterSeconds, 5);
  }
  assert.equal(toWireError(new TypeError("a bug")), undefined, "anything else stays unrecognised (500)");
});
