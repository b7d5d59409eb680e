import assert from "node:assert/strict";
import { test } from "node:test";
import { RegistryAuthError, RegistryHttpError, RegistryThrottledError, RegistryUnreachableError } from "@berth/distribution-client";
import { upstreamFailure } from "./upstream-failure.js";

test("the upstream's failures are told apart from Berth's own errors", () => {
  assert.match(upstreamFailure(new RegistryThrottledError("x"))!, /429/);
  assert.match(upstreamFailure(new RegistryUnreachableError("GET http://h/v2/: ECONNREFUSED"))!, /unreachable.*ECONNREFUSED/);
  assert.match(upstreamFailure(new RegistryHttpError("GET", "http://h", 502, undefined, ""))!, /answered 502/);
  assert.match(upstreamFailure(new RegistryAuthError("refused"))!, /credentials/);
  assert.match(upstreamFailure(new DOMException("timed out", "TimeoutError"))!, /no answer in time/);
  assert.equal(upstreamFailure(new TypeError("a bug")), undefined);
  assert.equal(upstreamFailure(undefined), undefined);
});
