import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError } from "@berth/config";
import { DataKey, dataKeyPath, ensureDataKey, loadDataKey, loadDataKeyForService, SecretError } from "./index.js";

test("the data key is created once, 32 bytes, mode 0600, and kept", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-secrets-"));
  try {
    const file = dataKeyPath(dir);
    const first = ensureDataKey(file);
    assert.equal(first.created, true);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file).length, 32);
    const again = ensureDataKey(file);
    assert.equal(again.created, false);
    assert.equal(again.key.open(first.key.seal("s3cret")), "s3cret");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("sealed values open only with the same key and context, and never leak the plaintext", () => {
  const a = DataKey.fromBytes(Buffer.alloc(32, 1));
  const b = DataKey.fromBytes(Buffer.alloc(32, 2));
  const sealed = a.seal("p@ss wörd", "registry:1");
  assert.ok(!sealed.includes("p@ss"));
  assert.notEqual(a.seal("x"), a.seal("x"), "a fresh IV per value");
  assert.equal(a.open(sealed, "registry:1"), "p@ss wörd");
  assert.throws(() => b.open(sealed, "registry:1"), SecretError);
  assert.throws(() => a.open(sealed, "registry:2"), SecretError);
  const parts = sealed.split(".");
  const flipped = Buffer.from(parts[2]!, "base64url");
  flipped[0]! ^= 1;
  assert.throws(() => a.open([parts[0], parts[1], flipped.toString("base64url"), parts[3]].join("."), "registry:1"), SecretError);
  assert.throws(() => a.open("garbage"), SecretError);
});

test("a missing or malformed key is a clear error", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-secrets-"));
  try {
    assert.throws(() => loadDataKey(join(dir, "nope")), /cannot read the data key/);
    writeFileSync(join(dir, "short"), Buffer.alloc(5));
    assert.throws(() => loadDataKey(join(dir, "short")), /holds 5 bytes/);
    assert.throws(() => DataKey.fromBytes(Buffer.alloc(31)), SecretError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a service's start reports a missing key as a configuration problem naming the setting", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-secrets-"));
  try {
    assert.throws(
      () => loadDataKeyForService(join(dir, "nope")),
      (err: unknown) => err instanceof ConfigError && /^BERTH_DATA_KEY_FILE: cannot read the data key/.test(err.problems[0]!),
    );
    const { key } = ensureDataKey(join(dir, "key"));
    assert.equal(loadDataKeyForService(join(dir, "key")).open(key.seal("x", "c"), "c"), "x");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
