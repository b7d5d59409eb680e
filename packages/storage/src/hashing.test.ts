import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { test } from "node:test";
import { FilesystemDriver } from "./filesystem-driver.js";
import { HashStateError, hashStream, rehashStored, Sha256 } from "./hashing.js";
import { collect, sha256Hex, testData } from "./test-support.js";

test("Sha256 matches node:crypto and hex() does not end the hash", async () => {
  const data = await collect(testData(3 * 1024 * 1024 + 17));
  const hash = await Sha256.create();
  hash.update(data.subarray(0, 1000));
  assert.equal(await hash.hex(), sha256Hex(data.subarray(0, 1000)));
  hash.update(data.subarray(1000));
  assert.equal(await hash.hex(), sha256Hex(data));
  assert.equal(hash.size, data.length);
  assert.equal((await Sha256.create()).size, 0);
  assert.equal(await (await Sha256.create()).hex(), sha256Hex(new Uint8Array(0)));
});

test("a saved state resumes in a fresh hasher (as another process would)", async () => {
  const data = await collect(testData(1024 * 1024 + 5));
  const first = await Sha256.create();
  first.update(data.subarray(0, 333_333));
  const state = first.save();
  assert.ok(state.length < 1024, `state is small (${state.length} bytes)`);
  const resumed = await Sha256.restore(Uint8Array.from(state));
  assert.equal(resumed.size, 333_333);
  resumed.update(data.subarray(333_333));
  assert.equal(await resumed.hex(), sha256Hex(data));
  await assert.rejects(Sha256.restore(Buffer.from("garbage")), HashStateError);
});

test("tap() hashes a stream passing through; hashStream hashes a stream", async () => {
  const data = await collect(testData(700_000));
  const hash = await Sha256.create();
  const out: Buffer[] = [];
  await pipeline(Readable.from([data.subarray(0, 100), data.subarray(100)]), hash.tap(), async (source) => {
    for await (const chunk of source) out.push(chunk as Buffer);
  });
  assert.equal(Buffer.concat(out).length, data.length);
  assert.equal(await hash.hex(), sha256Hex(data));
  assert.deepEqual(await hashStream(Readable.from([data])), { hex: sha256Hex(data), size: data.length });
});

test("rehashStored rebuilds the hash of stored bytes, whole or a prefix", async () => {
  const root = await mkdtemp(join(tmpdir(), "berth-hash-"));
  try {
    const driver = new FilesystemDriver({ rootDirectory: root });
    const data = await collect(testData(2 * 1024 * 1024 + 3));
    await driver.putContent("/uploads/u/data", data);
    const whole = await rehashStored(driver, "/uploads/u/data");
    assert.equal(await whole.hex(), sha256Hex(data));
    const prefix = await rehashStored(driver, "/uploads/u/data", 1_000_000);
    assert.equal(prefix.size, 1_000_000);
    prefix.update(data.subarray(1_000_000));
    assert.equal(await prefix.hex(), sha256Hex(data));
    await assert.rejects(rehashStored(driver, "/uploads/u/data", data.length + 1), RangeError);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
