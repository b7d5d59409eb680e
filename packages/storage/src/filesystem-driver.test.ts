import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FilesystemDriver } from "./filesystem-driver.js";
import { runDriverSuite } from "./driver-suite.js";

runDriverSuite("filesystem", async () => {
  const root = await mkdtemp(join(tmpdir(), "berth-storage-fs-"));
  return {
    driver: new FilesystemDriver({ rootDirectory: root }),
    reopen: async () => new FilesystemDriver({ rootDirectory: root }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

test("filesystem: putContent leaves no temporary files and they never show in list", async () => {
  const root = await mkdtemp(join(tmpdir(), "berth-storage-fs-"));
  try {
    const driver = new FilesystemDriver({ rootDirectory: root });
    await Promise.all(Array.from({ length: 20 }, (_, i) => driver.putContent("/links/tag", `v${i}`)));
    assert.deepEqual(await readdir(join(root, "links")), ["tag"]);
    assert.match((await driver.getContent("/links/tag")).toString(), /^v\d+$/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
