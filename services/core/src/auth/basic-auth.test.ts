import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBasicAuth } from "./basic-auth.js";

const basic = (s: string) => `Basic ${Buffer.from(s).toString("base64")}`;

test("parses Basic credentials, passwords may contain colons", () => {
  assert.deepEqual(parseBasicAuth(basic("admin:Pa:ss")), { username: "admin", password: "Pa:ss" });
  assert.deepEqual(parseBasicAuth(basic("robot$p+ci:s")), { username: "robot$p+ci", password: "s" });
});

test("other schemes and no header are not Basic credentials", () => {
  assert.equal(parseBasicAuth(undefined), undefined);
  assert.equal(parseBasicAuth("Bearer abc"), undefined);
});

test("malformed Basic headers say why", () => {
  assert.match((parseBasicAuth(basic("no-colon")) as { malformed: string }).malformed, /username:password/);
  assert.match((parseBasicAuth(basic(":empty-user")) as { malformed: string }).malformed, /username:password/);
  assert.match((parseBasicAuth("Basic !!!") as { malformed: string }).malformed, /malformed/);
  assert.match((parseBasicAuth("Basic") as { malformed: string }).malformed, /malformed/);
  assert.match((parseBasicAuth(basic("ad\0min:pw")) as { malformed: string }).malformed, /NUL/);
  assert.match((parseBasicAuth(basic("admin:p\0w")) as { malformed: string }).malformed, /NUL/);
});
