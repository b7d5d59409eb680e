import { Writable } from "node:stream";
import { normalizeEntry, type LogEntry } from "./log-entry.js";

const PAUSE_AFTER_FAILURE_MS = 10_000;

/**
 * The stream the collector's own logger writes to: every line goes to `stdout` and straight
 * into the collector's own files (never over HTTP to itself). While the files refuse writes,
 * lines go to stdout only for a while, so a failing disk cannot feed back into itself.
 */
export function selfLogStream(stdout: NodeJS.WritableStream, append: (entries: LogEntry[]) => Promise<void>): Writable {
  let pausedUntil = 0;
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      stdout.write(chunk);
      if (Date.now() < pausedUntil) return callback();
      const entries: LogEntry[] = [];
      for (const line of chunk.toString().split("\n")) {
        if (!line.trim()) continue;
        try {
          entries.push(normalizeEntry(JSON.parse(line), 0, new Date()));
        } catch {
          // not a JSON entry (cannot happen with @berth/logger); stdout has it
        }
      }
      if (entries.length === 0) return callback();
      append(entries).catch(() => {
        pausedUntil = Date.now() + PAUSE_AFTER_FAILURE_MS;
      });
      callback();
    },
  });
}
