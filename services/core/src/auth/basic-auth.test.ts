import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBasicAuth } from "./basic-auth.js";

const basic = (s: string) => `Basic ${Buffer.from(s).toString("base64")}`;

test("parses Basic credentials, passwords may contain colons", () => {
  assert.deepEqual(parseBasicAuth(basic("admin:Pa:ss")), { username: "admin", password: "Pa:ss" });
  assert.deepEqual(parseBasicAuth(basic("robot$p+ci:s")), { username: "robot$p+ci", password: "s" });
});

test("rejects malformed headers", () => {
  assert.equal(parseBasicAuth(undefined), undefined);
  assert.equal(parseBasicAuth("Bearer abc"), undefined);
  assert.equal(parseBasicAuth(basic("no-colon")), undefined);
  assert.equal(parseBasicAuth(basic(":empty-user")), undefined);
  assert.equal(parseBasicAuth("Basic !!!"), undefined);
});
