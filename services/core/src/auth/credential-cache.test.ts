import assert from "node:assert/strict";
import { test } from "node:test";
import { CredentialCache } from "./credential-cache.js";

/** A stand-in for argon2: counts the hashes computed; `hash:<password>` matches `<password>`. */
function fakeHash() {
  let computed = 0;
  const verify = async (stored: string, password: string) => {
    computed++;
    await new Promise((r) => setTimeout(r, 5));
    return stored === `hash:${password}`;
  };
  return { verify, computed: () => computed };
}

test("a verified password is reused while the stored hash is unchanged; a changed hash verifies again", async () => {
  const h = fakeHash();
  const cache = new CredentialCache(h.verify, { ttlMs: 60_000, maxEntries: 10 });
  assert.equal(await cache.verify("user:alice", "hash:pw1", "pw1"), true);
  assert.equal(await cache.verify("user:alice", "hash:pw1", "pw1"), true);
  assert.equal(h.computed(), 1, "the second check is a hit");
  // The password changed (new stored hash): the old password must fail, with a full check.
  assert.equal(await cache.verify("user:alice", "hash:pw2", "pw1"), false);
  assert.equal(h.computed(), 2);
  assert.equal(await cache.verify("user:alice", "hash:pw2", "pw2"), true);
});

test("failures are never cached, accounts do not share entries, and entries expire", async () => {
  const h = fakeHash();
  const cache = new CredentialCache(h.verify, { ttlMs: 30, maxEntries: 10 });
  assert.equal(await cache.verify("user:bob", "hash:right", "wrong"), false);
  assert.equal(await cache.verify("user:bob", "hash:right", "wrong"), false);
  assert.equal(h.computed(), 2, "every wrong password costs a full check");
  assert.equal(await cache.verify("user:bob", "hash:right", "right"), true);
  assert.equal(await cache.verify("robot:bob", "hash:other", "right"), false, "another account with the same password is checked on its own");
  await new Promise((r) => setTimeout(r, 50));
  const before = h.computed();
  assert.equal(await cache.verify("user:bob", "hash:right", "right"), true);
  assert.equal(h.computed(), before + 1, "an expired entry is verified again");
});

test("concurrent checks of the same credentials share one hash; the cache is bounded", async () => {
  const h = fakeHash();
  const cache = new CredentialCache(h.verify, { ttlMs: 60_000, maxEntries: 2 });
  const all = await Promise.all(Array.from({ length: 50 }, () => cache.verify("user:c", "hash:pw", "pw")));
  assert.ok(all.every((ok) => ok));
  assert.equal(h.computed(), 1);
  await cache.verify("user:d", "hash:pw", "pw");
  await cache.verify("user:e", "hash:pw", "pw");
  const before = h.computed();
  await cache.verify("user:c", "hash:pw", "pw"); // dropped: the least recently used of three
  assert.equal(h.computed(), before + 1);
});

test("a zero lifetime turns the cache off", async () => {
  const h = fakeHash();
  const cache = new CredentialCache(h.verify, { ttlMs: 0, maxEntries: 10 });
  await cache.verify("user:z", "hash:pw", "pw");
  await cache.verify("user:z", "hash:pw", "pw");
  assert.equal(h.computed(), 2);
});
