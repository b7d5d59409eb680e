import assert from "node:assert/strict";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { gzipLines, linesBackward } from "./line-reader.js";
import type { LogEntry } from "./log-entry.js";
import { rotatedFileName } from "./log-files.js";
import { LogQuery } from "./log-query.js";
import { LogStore } from "./log-store.js";
import { tempDir } from "./testing.js";

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function dir(): Promise<string> {
  const d = await tempDir();
  dirs.push(d);
  return d;
}

const base = Date.parse("2025-06-01T00:00:00Z");
const entry = (i: number, service = "core"): LogEntry => ({
  time: new Date(base + i * 1000).toISOString(),
  service,
  level: i % 10 === 0 ? "error" : "info",
  message: `entry number ${i}`,
  seq: i,
});

describe("LogStore rotation and LogQuery across rotated files", () => {
  it("rotates by size into .gz files and queries across them newest first", async () => {
    const d = await dir();
    const store = new LogStore({ dir: d, rotateSize: "2K", maxFiles: 100 });
    await store.init();
    for (let batch = 0; batch < 50; batch++) {
      await store.append([0, 1, 2, 3, 4].map((k) => entry(batch * 5 + k)));
    }
    const files = await readdir(d);
    const rotated = files.filter((f) => f.endsWith(".log.gz"));
    assert.ok(rotated.length >= 10, `expected many rotated files, got ${files.join(" ")}`);
    assert.ok(rotated.every((f) => /^core\.\d{8}T\d{9}Z-\d+\.log\.gz$/.test(f)), rotated.join(" "));
    assert.ok(files.includes("core.log"));
    assert.ok(files.includes(".core.history"));

    const query = new LogQuery(d, (s) => store.settled(s));
    const all = await query.query({ limit: 1000 });
    assert.deepEqual(all.map((e) => e["seq"]), Array.from({ length: 250 }, (_, i) => 249 - i));

    const newest = await query.query({ limit: 3 });
    assert.deepEqual(newest.map((e) => e["seq"]), [249, 248, 247]);

    // the oldest entries are only in the oldest .gz
    assert.deepEqual((await query.query({ limit: 1000, q: "entry number 3" })).map((e) => e["seq"]), [39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 3]);
    assert.deepEqual((await query.query({ limit: 1000, q: "ENTRY NUMBER 0" })).map((e) => e["seq"]), [0]);
    assert.deepEqual(
      (await query.query({ limit: 1000, level: "error", until: base + 100_000 })).map((e) => e["seq"]),
      [100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 0],
    );
    const window = await query.query({ limit: 1000, since: base + 20_000, until: base + 24_000 });
    assert.deepEqual(window.map((e) => e["seq"]), [24, 23, 22, 21, 20]);
    await store.close();
  });

  it("keeps at most maxFiles rotated files per service", async () => {
    const d = await dir();
    const store = new LogStore({ dir: d, rotateSize: "1K", maxFiles: 3 });
    await store.init();
    for (let i = 0; i < 60; i++) await store.append([entry(i, "registry")]);
    await store.close();
    const rotated = (await readdir(d)).filter((f) => f.endsWith(".gz"));
    assert.equal(rotated.length, 3, rotated.join(" "));
    // the newest entries survive
    const got = await new LogQuery(d).query({ limit: 1 });
    assert.equal(got[0]!["seq"], 59);
  });

  it("deletes rotated files older than maxAgeDays", async () => {
    const d = await dir();
    const old = rotatedFileName("core", new Date("2001-01-01T00:00:00Z"), 1);
    const recent = rotatedFileName("core", new Date(Date.now() - 3_600_000), 1);
    await writeFile(path.join(d, old), gzipSync(`${JSON.stringify(entry(1))}\n`));
    await writeFile(path.join(d, recent), gzipSync(`${JSON.stringify(entry(2))}\n`));
    const store = new LogStore({ dir: d, rotateSize: "10M", maxFiles: 14, maxAgeDays: 7 });
    await store.init();
    await store.close();
    assert.deepEqual(await readdir(d), [recent]);
  });

  it("keeps appending to the same file after a restart", async () => {
    const d = await dir();
    let store = new LogStore({ dir: d, rotateSize: "10M", maxFiles: 14 });
    await store.init();
    await store.append([entry(1)]);
    await store.close();
    await assert.rejects(store.append([entry(9)]), /closed/);
    store = new LogStore({ dir: d, rotateSize: "10M", maxFiles: 14 });
    await store.init();
    await store.append([entry(2)]);
    await store.close();
    const lines = (await readFile(path.join(d, "core.log"), "utf8")).trim().split("\n");
    assert.equal(lines.length, 2);
    assert.deepEqual(Object.keys(JSON.parse(lines[0]!)), ["time", "service", "level", "message", "seq"]);
  });

  it("skips rotated files closed before `since` without reading them", async () => {
    const d = await dir();
    // Its name says it was closed before `since`; were it read, its (impossible) entry would show.
    await writeFile(path.join(d, rotatedFileName("core", new Date(base - 1000), 1)), gzipSync(`${JSON.stringify(entry(7))}\n`));
    await writeFile(path.join(d, "core.log"), `${JSON.stringify(entry(5))}\n`);
    const got = await new LogQuery(d).query({ limit: 10, since: base });
    assert.deepEqual(got.map((e) => e["seq"]), [5]);
    assert.deepEqual((await new LogQuery(d).query({ limit: 10 })).map((e) => e["seq"]), [7, 5]);
  });
});

describe("line readers", () => {
  it("reads lines backwards across chunk boundaries, long lines and multi-byte characters", async () => {
    const d = await dir();
    const lines = Array.from({ length: 400 }, (_, i) => `${i}:${"é€😀x".repeat((i * 37) % 500)}`);
    lines.push("y".repeat(200_000));
    lines.push("last");
    const file = path.join(d, "a.log");
    await writeFile(file, `${lines.join("\n")}\n`);
    const got: string[] = [];
    for await (const line of linesBackward(file)) got.push(line);
    assert.deepEqual(got, [...lines].reverse());
    const none: string[] = [];
    for await (const line of linesBackward(path.join(d, "missing.log"))) none.push(line);
    assert.deepEqual(none, []);
  });

  it("reads what it can of a truncated or missing gzip file", async () => {
    const d = await dir();
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${"z".repeat(50)}`);
    const gz = gzipSync(`${lines.join("\n")}\n`);
    const file = path.join(d, "t.log.gz");
    await writeFile(file, gz.subarray(0, Math.floor(gz.length / 2)));
    const got: string[] = [];
    for await (const line of gzipLines(file)) got.push(line);
    assert.ok(got.length < lines.length);
    assert.deepEqual(got.slice(0, 10), lines.slice(0, 10));
    const none: string[] = [];
    for await (const line of gzipLines(path.join(d, "missing.gz"))) none.push(line);
    assert.deepEqual(none, []);
  });
});
