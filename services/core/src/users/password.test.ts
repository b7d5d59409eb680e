import { test } from "node:test";
import assert from "node:assert/strict";
import { hashPassword, isStrongPassword, verifyPassword } from "./password.js";

test("Harbor's password rule", () => {
  for (const good of ["Harbor12345", "aB345678", "Passw0rdPassw0rd"]) assert.ok(isStrongPassword(good), good);
  for (const bad of ["short1A", "alllower123", "ALLUPPER123", "NoDigitsHere", ""]) assert.ok(!isStrongPassword(bad), bad);
});

test("argon2id hashes verify and never equal the password", async () => {
  const stored = await hashPassword("Harbor12345");
  assert.match(stored, /^\$argon2id\$/);
  assert.ok(await verifyPassword(stored, "Harbor12345"));
  assert.ok(!(await verifyPassword(stored, "Harbor12346")));
  assert.ok(!(await verifyPassword("not-a-hash", "Harbor12345")));
});
