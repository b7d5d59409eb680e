/**
 * One behaviour suite for every storage driver (node:test). A driver's test file calls
 * `runDriverSuite` with a factory giving a driver over fresh, empty storage.
 */
import assert from "node:assert/strict";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import type { FileInfo, StorageDriver } from "./driver.js";
import { InvalidOffsetError, InvalidPathError, PathNotFoundError, WriterClosedError } from "./errors.js";
import { collect, fillChunk, measureRssGrowth, mib, sha256Hex, sha256Of, testData } from "./test-support.js";

/** A driver over fresh storage, plus a way to open another instance over the same storage. */
export interface DriverFixture {
  driver: StorageDriver;
  /** A new driver instance over the same storage, as another registry process would have. */
  reopen(): Promise<StorageDriver>;
  /** Remove the storage and release the drivers. */
  cleanup(): Promise<void>;
}

/** Knobs of {@link runDriverSuite}. */
export interface DriverSuiteOptions {
  /** Whether `redirectURL` must return a fetchable URL (otherwise it must be absent or undefined). */
  redirect?: boolean;
  /** Size of the large streamed write and read (default 64 MiB). */
  largeSize?: number;
  /** Largest RSS growth allowed while streaming it (default 48 MiB). */
  maxRssGrowth?: number;
  /**
   * Force a GC every this many bytes while measuring (default 16 MiB), so the limit tests what
   * the driver holds, not how much garbage V8 lets pile up; `0` disables it.
   */
  gcEveryBytes?: number;
  /**
   * Whether the backing store makes a completed move visible all at once (default true). AWS S3's
   * CopyObject does; s3rver, the test stand-in, writes the copy in place, so a watcher can see it
   * grow — a property of the test server, not of the driver.
   */
  atomicMoveVisible?: boolean;
}

const MiB = 1024 * 1024;

async function expectNotFound(promise: Promise<unknown>, path: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof PathNotFoundError, `expected PathNotFoundError, got ${String(err)}`);
    assert.equal(err.path, path);
    return true;
  });
}

async function walkAll(driver: StorageDriver, path: string): Promise<FileInfo[]> {
  const seen: FileInfo[] = [];
  await driver.walk(path, (info) => {
    seen.push(info);
  });
  return seen;
}

async function filesUnder(driver: StorageDriver, path: string): Promise<string[]> {
  return (await walkAll(driver, path)).filter((i) => !i.isDir).map((i) => i.path);
}

/** Register the storage driver suite under `describe(name)`. */
export function runDriverSuite(
  name: string,
  makeDriver: () => Promise<DriverFixture>,
  options: DriverSuiteOptions = {},
): void {
  const largeSize = options.largeSize ?? 64 * MiB;
  const maxRssGrowth = options.maxRssGrowth ?? 48 * MiB;
  const gcEveryBytes = options.gcEveryBytes ?? 16 * MiB;
  const rssOptions = gcEveryBytes > 0 ? { gcEveryBytes } : {};

  async function withDriver(fn: (driver: StorageDriver, fixture: DriverFixture) => Promise<void>): Promise<void> {
    const fixture = await makeDriver();
    try {
      await fn(fixture.driver, fixture);
    } finally {
      await fixture.cleanup();
    }
  }

  describe(`storage driver suite: ${name}`, () => {
    // First, so that RSS is not already inflated by the other tests' allocations.
    test(`large streamed write and read (${mib(largeSize)}) keep memory bounded`, () =>
      withDriver(async (d) => {
        const chunk = Buffer.allocUnsafe(MiB);
        const write = await measureRssGrowth(async (sample) => {
          const w = await d.writer("/large/data");
          for (let i = 0; i * MiB < largeSize; i++) {
            await w.write(fillChunk(chunk, i).subarray(0, Math.min(MiB, largeSize - i * MiB)));
            sample(MiB);
          }
          await w.commit();
          return w.size;
        }, rssOptions);
        assert.equal(write.result, largeSize);
        const read = await measureRssGrowth(
          async (sample) => sha256Of(await d.reader("/large/data"), sample),
          rssOptions,
        );
        const expected = await sha256Of(
          (async function* () {
            const c = Buffer.allocUnsafe(MiB);
            for (let i = 0; i * MiB < largeSize; i++) yield fillChunk(c, i).subarray(0, Math.min(MiB, largeSize - i * MiB));
          })(),
        );
        assert.deepEqual(read.result, expected);
        const report =
          `write: RSS +${mib(write.growth)}, JS memory +${mib(write.jsGrowth)}; ` +
          `read: RSS +${mib(read.growth)}, JS memory +${mib(read.jsGrowth)}`;
        const gcNote = gcEveryBytes > 0 ? `, GC every ${mib(gcEveryBytes)}` : "";
        process.stderr.write(`# ${name}, ${mib(largeSize)} streamed${gcNote}: ${report}\n`);
        for (const m of [write, read]) {
          assert.ok(m.growth < maxRssGrowth && m.jsGrowth < maxRssGrowth, `${report} (limit ${mib(maxRssGrowth)})`);
        }
      }));

    test("putContent/getContent round-trip, overwrite and empty files", () =>
      withDriver(async (d) => {
        await d.putContent("/a/b/c.txt", "hello");
        assert.equal((await d.getContent("/a/b/c.txt")).toString(), "hello");
        await d.putContent("/a/b/c.txt", Buffer.from("replaced, longer"));
        assert.equal((await d.getContent("/a/b/c.txt")).toString(), "replaced, longer");
        await d.putContent("/empty", new Uint8Array(0));
        assert.equal((await d.getContent("/empty")).length, 0);
        assert.equal((await d.stat("/empty")).size, 0);
      }));

    test("stat reports files and directories", () =>
      withDriver(async (d) => {
        await d.putContent("/dir/sub/file", "12345");
        const file = await d.stat("/dir/sub/file");
        assert.deepEqual([file.path, file.size, file.isDir], ["/dir/sub/file", 5, false]);
        assert.ok(file.modTime instanceof Date && file.modTime.getTime() > 0);
        const dir = await d.stat("/dir/sub");
        assert.deepEqual([dir.path, dir.size, dir.isDir], ["/dir/sub", 0, true]);
        assert.equal((await d.stat("/")).isDir, true);
        await expectNotFound(d.stat("/dir/nope"), "/dir/nope");
      }));

    test("list gives direct children, sorted", () =>
      withDriver(async (d) => {
        for (const p of ["/r/a", "/r/b-c", "/r/b/x", "/r/b/y/z", "/other"]) await d.putContent(p, p);
        assert.deepEqual(await d.list("/r"), ["/r/a", "/r/b", "/r/b-c"]);
        assert.deepEqual(await d.list("/r/b"), ["/r/b/x", "/r/b/y"]);
        assert.deepEqual(await d.list("/"), ["/other", "/r"]);
        await expectNotFound(d.list("/r/missing"), "/r/missing");
      }));

    test("walk visits every file and directory, directories first; skipDir and stop", () =>
      withDriver(async (d) => {
        for (const p of ["/w/a", "/w/b-c", "/w/b/x", "/w/b/y/z", "/w/c/d"]) await d.putContent(p, p);
        const seen = await walkAll(d, "/w");
        const paths = seen.map((i) => i.path);
        assert.deepEqual([...paths].sort(), ["/w/a", "/w/b", "/w/b-c", "/w/b/x", "/w/b/y", "/w/b/y/z", "/w/c", "/w/c/d"]);
        for (const info of seen) {
          const parent = info.path.slice(0, info.path.lastIndexOf("/"));
          if (parent !== "/w") assert.ok(paths.indexOf(parent) < paths.indexOf(info.path), `${parent} before ${info.path}`);
          assert.equal(info.isDir, ["/w/b", "/w/b/y", "/w/c"].includes(info.path));
        }
        assert.equal(seen.find((i) => i.path === "/w/b/x")?.size, "/w/b/x".length);

        const skipped: string[] = [];
        await d.walk("/w", (info) => {
          skipped.push(info.path);
          return info.path === "/w/b" ? "skipDir" : undefined;
        });
        assert.ok(!skipped.some((p) => p.startsWith("/w/b/")), "skipDir skips the contents");
        assert.ok(skipped.includes("/w/c/d"));

        let visits = 0;
        await d.walk("/", () => (++visits === 2 ? "stop" : undefined));
        assert.equal(visits, 2);
        await expectNotFound(walkAll(d, "/nothing"), "/nothing");
      }));

    test("move replaces the destination and removes the source", () =>
      withDriver(async (d) => {
        await d.putContent("/uploads/u1/data", "new blob");
        await d.putContent("/blobs/x/data", "old");
        await d.move("/uploads/u1/data", "/blobs/x/data");
        assert.equal((await d.getContent("/blobs/x/data")).toString(), "new blob");
        await expectNotFound(d.stat("/uploads/u1/data"), "/uploads/u1/data");
        await d.putContent("/uploads/u2/data", "to a new directory");
        await d.move("/uploads/u2/data", "/fresh/dir/data");
        assert.equal((await d.getContent("/fresh/dir/data")).toString(), "to a new directory");
        await expectNotFound(d.move("/uploads/none", "/x"), "/uploads/none");
      }));

    test("move is atomic: the destination is never seen partial", { skip: options.atomicMoveVisible === false && "the test server's copy is not atomic" }, (t) =>
      withDriver(async (d) => {
        const size = 12 * MiB;
        const w = await d.writer("/uploads/big/data");
        await w.writeFrom(testData(size, MiB, 7));
        await w.commit();
        const expected = (await sha256Of(await d.reader("/uploads/big/data"))).hex;
        let done = false;
        let observations = 0;
        const watcher = (async () => {
          while (!done) {
            try {
              const info = await d.stat("/blobs/big/data");
              assert.equal(info.size, size, "destination size is complete whenever visible");
              observations++;
            } catch (err) {
              if (!(err instanceof PathNotFoundError)) throw err;
            }
            await new Promise((r) => setImmediate(r));
          }
        })();
        await d.move("/uploads/big/data", "/blobs/big/data");
        done = true;
        await watcher;
        assert.equal((await sha256Of(await d.reader("/blobs/big/data"))).hex, expected);
        t.diagnostic(`destination observed complete ${observations} times during the move`);
      }));

    test("delete removes a file or a directory recursively", () =>
      withDriver(async (d) => {
        for (const p of ["/del/a", "/del/sub/b", "/del/sub/deep/c", "/keep/x", "/del-sibling"]) await d.putContent(p, p);
        await d.delete("/del/a");
        await expectNotFound(d.stat("/del/a"), "/del/a");
        await d.delete("/del");
        await expectNotFound(d.stat("/del"), "/del");
        await expectNotFound(d.stat("/del/sub/deep/c"), "/del/sub/deep/c");
        assert.equal((await d.getContent("/keep/x")).toString(), "/keep/x");
        assert.equal((await d.getContent("/del-sibling")).toString(), "/del-sibling");
        await expectNotFound(d.delete("/del"), "/del");
      }));

    test("deleteFiles removes many files, ignores missing ones, and leaves no empty directory", () =>
      withDriver(async (d) => {
        const files = Array.from({ length: 40 }, (_, i) => `/blobs/sha256/${String(i % 4).padStart(2, "0")}/h${i}/data`);
        for (const p of [...files, "/blobs/sha256/00/h0/other", "/blobs/sha256/09/keep/data"]) await d.putContent(p, p);
        await d.deleteFiles([...files.slice(0, 30), "/blobs/sha256/ff/missing/data"]);
        for (const p of files.slice(0, 30)) await expectNotFound(d.stat(p), p);
        for (const p of files.slice(30)) assert.equal((await d.getContent(p)).toString(), p);
        // h1 held only its file: gone as a directory too; h0 still holds "other".
        await expectNotFound(d.stat("/blobs/sha256/01/h1"), "/blobs/sha256/01/h1");
        assert.deepEqual(await d.list("/blobs/sha256/00/h0"), ["/blobs/sha256/00/h0/other"]);
        assert.equal((await d.getContent("/blobs/sha256/09/keep/data")).toString(), "/blobs/sha256/09/keep/data");
        await d.deleteFiles([]);
        await assert.rejects(() => d.deleteFiles(["/ok", "/a/../b"]), InvalidPathError);
      }));

    test("reader from an offset and over a range", () =>
      withDriver(async (d) => {
        const data = Buffer.from("0123456789abcdefghij");
        await d.putContent("/r", data);
        assert.equal((await collect(await d.reader("/r"))).toString(), data.toString());
        assert.equal((await collect(await d.reader("/r", 10))).toString(), "abcdefghij");
        assert.equal((await collect(await d.reader("/r", { offset: 5, length: 4 }))).toString(), "5678");
        assert.equal((await collect(await d.reader("/r", { offset: 15, length: 100 }))).toString(), "fghij");
        assert.equal((await collect(await d.reader("/r", { offset: 3, length: 0 }))).length, 0);
        assert.equal((await collect(await d.reader("/r", 20))).length, 0, "offset == size gives an empty stream");
        await assert.rejects(d.reader("/r", 21), InvalidOffsetError);
        await assert.rejects(d.reader("/r", -1), InvalidOffsetError);
        await expectNotFound(d.reader("/missing"), "/missing");
      }));

    test("writer: write, writeFrom and writable() pipeline, then commit", () =>
      withDriver(async (d) => {
        const w = await d.writer("/w/one");
        await w.write(Buffer.from("abc"));
        assert.equal(w.size, 3);
        await w.writeFrom(Readable.from([Buffer.from("def"), Buffer.from("ghi")]));
        await pipeline(Readable.from([Buffer.from("jkl")]), w.writable());
        assert.equal(w.size, 12);
        await w.commit();
        assert.equal((await d.getContent("/w/one")).toString(), "abcdefghijkl");
        await assert.rejects(async () => w.write(Buffer.from("x")), WriterClosedError);
        await assert.rejects(w.commit(), WriterClosedError);

        const fresh = await d.writer("/w/one");
        assert.equal(fresh.size, 0, "a writer without append starts empty");
        await fresh.write(Buffer.from("new"));
        await fresh.commit();
        assert.equal((await d.getContent("/w/one")).toString(), "new");
      }));

    test("append resumes across driver instances (another process) with close() in between", () =>
      withDriver(async (d, fixture) => {
        const parts = [7 * MiB + 123, 6 * MiB + 5, 1000];
        const all = Buffer.concat(parts.map((n, i) => fillChunk(Buffer.alloc(n), i + 1)));
        const first = await d.writer("/uploads/u/data");
        await first.write(all.subarray(0, parts[0]));
        await first.close();

        const second = await fixture.reopen();
        const w2 = await second.writer("/uploads/u/data", { append: true });
        assert.equal(w2.size, parts[0]);
        await w2.write(all.subarray(parts[0], parts[0]! + parts[1]!));
        await w2.close();

        const third = await fixture.reopen();
        const idle = await third.writer("/uploads/u/data", { append: true });
        assert.equal(idle.size, parts[0]! + parts[1]!);
        await idle.close();
        const w3 = await third.writer("/uploads/u/data", { append: true });
        await w3.write(all.subarray(parts[0]! + parts[1]!));
        assert.equal(w3.size, all.length);
        await w3.commit();
        assert.equal((await sha256Of(await d.reader("/uploads/u/data"))).hex, sha256Hex(all));
        assert.equal((await d.stat("/uploads/u/data")).size, all.length);

        const more = await d.writer("/uploads/u/data", { append: true });
        assert.equal(more.size, all.length, "append also extends a committed file");
        await more.write(Buffer.from("tail"));
        await more.commit();
        assert.equal((await d.stat("/uploads/u/data")).size, all.length + 4);
      }));

    test("cancel leaves nothing behind, also after a resumed upload", () =>
      withDriver(async (d, fixture) => {
        const w = await d.writer("/uploads/c/data");
        await w.writeFrom(testData(6 * MiB));
        await w.cancel();
        await expectNotFound(d.stat("/uploads/c/data"), "/uploads/c/data");
        assert.deepEqual(await filesUnder(d, "/"), [], "no file remains (empty directories may)");

        const w1 = await d.writer("/uploads/c/data");
        await w1.writeFrom(testData(6 * MiB));
        await w1.close();
        const other = await fixture.reopen();
        const w2 = await other.writer("/uploads/c/data", { append: true });
        assert.equal(w2.size, 6 * MiB);
        await w2.cancel();
        await expectNotFound(d.stat("/uploads/c/data"), "/uploads/c/data");
        const again = await d.writer("/uploads/c/data", { append: true });
        assert.equal(again.size, 0, "nothing left to resume");
        await again.cancel();
      }));

    test("delete of a directory discards unfinished writers in it", () =>
      withDriver(async (d) => {
        await d.putContent("/uploads/z/startedat", "now");
        const w = await d.writer("/uploads/z/data");
        await w.writeFrom(testData(MiB));
        await w.close();
        await d.delete("/uploads/z");
        const resumed = await d.writer("/uploads/z/data", { append: true });
        assert.equal(resumed.size, 0);
        await resumed.cancel();
      }));

    test("concurrent writers to different paths", () =>
      withDriver(async (d) => {
        const sizes = [6 * MiB + 1, 3 * MiB, 11 * MiB, 17];
        await Promise.all(
          sizes.map(async (size, i) => {
            const w = await d.writer(`/concurrent/${i}`);
            for await (const chunk of testData(size, 300 * 1024, i)) await w.write(chunk);
            await w.commit();
          }),
        );
        for (const [i, size] of sizes.entries()) {
          const expected = await sha256Of(testData(size, 300 * 1024, i));
          assert.deepEqual(await sha256Of(await d.reader(`/concurrent/${i}`)), expected);
        }
      }));

    test("not-found errors are typed and carry the path", () =>
      withDriver(async (d) => {
        await expectNotFound(d.getContent("/nf"), "/nf");
        await expectNotFound(d.reader("/nf", 0), "/nf");
        await expectNotFound(d.stat("/nf"), "/nf");
        await expectNotFound(d.list("/nf"), "/nf");
        await expectNotFound(d.walk("/nf", () => undefined), "/nf");
        await expectNotFound(d.move("/nf", "/other"), "/nf");
        await expectNotFound(d.delete("/nf"), "/nf");
      }));

    test("invalid paths are rejected by every method", () =>
      withDriver(async (d) => {
        const bad = ["", "a", "/a/", "//a", "/a//b", "/a/../b", "/..", "/./a", "/a b", "/a\\b", "/ä", "/~tmp", "/a?b", "/a:b"];
        for (const path of bad) {
          const calls: [string, () => Promise<unknown>][] = [
            ["getContent", () => d.getContent(path)],
            ["putContent", () => d.putContent(path, "x")],
            ["reader", () => d.reader(path)],
            ["writer", () => d.writer(path)],
            ["stat", () => d.stat(path)],
            ["list", () => d.list(path)],
            ["walk", () => d.walk(path, () => undefined)],
            ["move", () => d.move(path, "/ok")],
            ["move", () => d.move("/ok", path)],
            ["delete", () => d.delete(path)],
            ["deleteFiles", () => d.deleteFiles([path])],
          ];
          for (const [method, call] of calls) {
            await assert.rejects(call, InvalidPathError, `${method}(${JSON.stringify(path)})`);
          }
        }
        await assert.rejects(() => d.putContent("/", "x"), InvalidPathError);
        await assert.rejects(() => d.delete("/"), InvalidPathError);
      }));

    test("redirectURL", () =>
      withDriver(async (d) => {
        await d.putContent("/blobs/r/data", "redirected content");
        const url = await d.redirectURL?.("/blobs/r/data", { method: "GET", expiresIn: 60 });
        if (!options.redirect) {
          assert.equal(url, undefined);
          return;
        }
        assert.ok(url, "a redirecting driver returns a URL");
        const res = await fetch(url);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), "redirected content");
        const head = await d.redirectURL!("/blobs/r/data", { method: "HEAD" });
        assert.ok(head);
        const headRes = await fetch(head, { method: "HEAD" });
        assert.equal(headRes.status, 200);
        assert.equal(headRes.headers.get("content-length"), String("redirected content".length));
        await assert.rejects(() => d.redirectURL!("/../x", { method: "GET" }), InvalidPathError);
      }));
  });
}
