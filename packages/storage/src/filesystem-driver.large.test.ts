/**
 * 512 MiB through the filesystem driver, in its own file (so its own process): RSS must grow by
 * less than 96 MB while writing (then moving) and while reading back with sha256 checked.
 * Nothing is retained per byte; garbage is collected as the data moves (see STEADY), so the
 * margin left is the streams' buffers and the allocator's.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FilesystemDriver } from "./filesystem-driver.js";
import { fillChunk, measureRssGrowth, mib, sha256Of } from "./test-support.js";

const MiB = 1024 * 1024;
/**
 * A full GC every 32 MiB moved: the peak then shows what the driver holds, not the tens of MiB of
 * spent Buffers V8 leaves for later (without it, a loaded machine measured +95 MiB on the read
 * side, and the bound failed now and then). A driver that kept its chunks would still grow by
 * hundreds of MiB.
 */
const STEADY = { gcEveryBytes: 32 * MiB };

test("filesystem: 512 MiB streamed through the driver grows RSS by less than 96 MB", async () => {
  const root = await mkdtemp(join(tmpdir(), "berth-storage-fs-large-"));
  const size = 512 * MiB;
  try {
    const driver = new FilesystemDriver({ rootDirectory: root });
    const chunk = Buffer.allocUnsafe(MiB);
    const expected = await sha256Of(
      (async function* () {
        for (let i = 0; i * MiB < size; i++) yield fillChunk(chunk, i);
      })(),
    );
    const write = await measureRssGrowth(async (sample) => {
      const writer = await driver.writer("/uploads/large/data");
      for (let i = 0; i * MiB < size; i++) {
        await writer.write(fillChunk(chunk, i));
        sample(MiB);
      }
      await writer.commit();
      await driver.move("/uploads/large/data", "/blobs/large/data");
      return writer.size;
    }, STEADY);
    assert.equal(write.result, size);
    const read = await measureRssGrowth(async (sample) => sha256Of(await driver.reader("/blobs/large/data"), sample), STEADY);
    assert.deepEqual(read.result, expected);
    const report =
      `write: RSS +${mib(write.growth)}, JS memory +${mib(write.jsGrowth)}; ` +
      `read: RSS +${mib(read.growth)}, JS memory +${mib(read.jsGrowth)}`;
    process.stderr.write(`# filesystem, 512 MiB streamed: ${report}\n`);
    for (const m of [write, read]) assert.ok(m.growth < 96e6 && m.jsGrowth < 96e6, report);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
