import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePassword, resolveAdminPassword } from "./admin-secret.js";

test("generated passwords are long and mix upper, lower and digits", () => {
  for (let i = 0; i < 200; i++) {
    const pw = generatePassword();
    assert.ok(pw.length >= 16 && /[A-Z]/.test(pw) && /[a-z]/.test(pw) && /\d/.test(pw), pw);
  }
  assert.notEqual(generatePassword(), generatePassword());
  assert.throws(() => generatePassword(8), RangeError);
});

test("the admin password comes from the env, else the kept file, else is generated once (0600)", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-secret-test-"));
  try {
    assert.deepEqual(resolveAdminPassword(dir, "Given-Passw0rd").source, "env");
    const first = resolveAdminPassword(dir, undefined);
    assert.equal(first.source, "generated");
    assert.equal(statSync(first.file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, "secrets")).mode & 0o777, 0o700);
    const second = resolveAdminPassword(dir, undefined);
    assert.deepEqual([second.source, second.password], ["file", first.password]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
