/** The speed limit of one copy stream (a policy's `speed`, KB/s). */
import { Transform, type TransformCallback } from "node:stream";

/** Passes bytes at most `bytesPerSecond` on average (chunks are delayed, never split). */
export function speedLimit(bytesPerSecond: number): Transform {
  const started = Date.now();
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      sent += chunk.length;
      const due = started + (sent / bytesPerSecond) * 1000;
      const wait = due - Date.now();
      if (wait <= 0) return cb(null, chunk);
      setTimeout(() => cb(null, chunk), wait);
    },
  });
}
