import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The lines of a plain file, last line first, reading 64 KiB chunks from the end. Only the
 * bytes present when the file was opened are read (appends made meanwhile are not). Splitting
 * on the byte 0x0A is safe for UTF-8: it never occurs inside a multi-byte character.
 * Yields nothing when the file does not exist (it may have just been rotated away).
 */
export async function* linesBackward(path: string): AsyncGenerator<string> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  try {
    let position = (await handle.stat()).size;
    let carry: Buffer = Buffer.alloc(0); // the start of a line whose beginning is further back
    while (position > 0) {
      const length = Math.min(CHUNK, position);
      position -= length;
      const chunk = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(chunk, 0, length, position);
      let buf = carry.length ? Buffer.concat([chunk.subarray(0, bytesRead), carry]) : chunk.subarray(0, bytesRead);
      let end = buf.length;
      for (let i = buf.length - 1; i >= 0; i--) {
        if (buf[i] !== NEWLINE) continue;
        if (end > i + 1) yield buf.toString("utf8", i + 1, end);
        end = i;
      }
      carry = Buffer.from(buf.subarray(0, end));
      buf = Buffer.alloc(0);
    }
    if (carry.length) yield carry.toString("utf8");
  } finally {
    await handle.close();
  }
}

/** The lines of a gzip file, first line first. A truncated file yields what could be read. */
export async function* gzipLines(path: string): AsyncGenerator<string> {
  const input = createReadStream(path);
  const gunzip = createGunzip();
  let failed = false;
  const stop = () => {
    failed = true;
    gunzip.end();
  };
  input.on("error", stop);
  gunzip.on("error", () => {
    failed = true;
  });
  const lines = createInterface({ input: input.pipe(gunzip), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line) yield line;
      if (failed) break;
    }
  } catch {
    // a truncated or corrupt archive: keep the lines already yielded
  } finally {
    lines.close();
    input.destroy();
    gunzip.destroy();
  }
}
