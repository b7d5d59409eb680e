import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FilesystemDriver } from "./filesystem-driver.js";
import { RunningHashCache, RunningSha256 } from "./running-hash.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

test("RunningSha256 matches node:crypto; hex() does not end it; save() is null", async () => {
  const data = randomBytes(300_000);
  const h = RunningSha256.create().update(data.subarray(0, 1000));
  assert.equal(await h.hex(), sha(data.subarray(0, 1000)));
  h.update(data.subarray(1000));
  assert.equal(h.size, data.length);
  assert.equal(await h.hex(), sha(data));
  assert.equal(h.save(), null);
});

test("RunningHashCache continues, catches up from storage, and re-hashes without an entry", async () => {
  const dir = mkdtempSync(join(tmpdir(), "running-hash-"));
  try {
    const driver = new FilesystemDriver({ rootDirectory: dir });
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const w = await driver.writer("/u/data");
    await w.write(data.subarray(0, 1_000_000));
    await w.close();
    const cache = new RunningHashCache(2);
    // no entry: hashed from the stored bytes
    const first = await cache.take("a", driver, "/u/data", 1_000_000);
    assert.equal(await first.hex(), sha(data.subarray(0, 1_000_000)));
    cache.put("a", first);
    // another process appended: the entry catches up from storage
    const w2 = await driver.writer("/u/data", { append: true });
    await w2.write(data.subarray(1_000_000));
    await w2.close();
    const second = await cache.take("a", driver, "/u/data", data.length);
    assert.equal(second, first, "the cached hash is reused");
    assert.equal(await second.hex(), sha(data));
    assert.equal(cache.size, 0, "taken out while in use");
    // an entry ahead of the stored bytes is never used
    cache.put("a", second);
    const third = await cache.take("a", driver, "/u/data", 10);
    assert.notEqual(third, second);
    assert.equal(await third.hex(), sha(data.subarray(0, 10)));
    // bounded
    cache.put("x", RunningSha256.create());
    cache.put("y", RunningSha256.create());
    cache.put("z", RunningSha256.create());
    assert.equal(cache.size, 2);
    await assert.rejects(cache.take("q", driver, "/u/data", data.length + 1), RangeError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the filesystem writer's 1 MiB buffering keeps size and content exact, across close and append", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fs-writer-"));
  try {
    const driver = new FilesystemDriver({ rootDirectory: dir });
    const data = randomBytes(5 * 1024 * 1024 + 333);
    const w = await driver.writer("/f");
    let at = 0;
    for (const n of [10, 65536, 3 * 1024 * 1024, 1, 70_000]) {
      await w.write(data.subarray(at, at + n));
      at += n;
      assert.equal(w.size, at);
    }
    await w.close();
    assert.equal((await driver.stat("/f")).size, at);
    const w2 = await driver.writer("/f", { append: true });
    assert.equal(w2.size, at);
    await w2.write(data.subarray(at));
    await w2.commit();
    assert.equal(sha(await driver.getContent("/f")), sha(data));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
