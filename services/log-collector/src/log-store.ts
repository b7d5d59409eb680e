import { constants } from "node:fs";
import { access, mkdir, unlink } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { createStream, type RotatingFileStream } from "rotating-file-stream";
import type { LogEntry } from "./log-entry.js";
import { currentFileName, historyFileName, listLogFiles, rotatedFileName } from "./log-files.js";

export interface LogStoreOptions {
  dir: string;
  /** rotating-file-stream size (`10M`). */
  rotateSize: string;
  /** rotating-file-stream interval (`1d`); undefined: size only. */
  rotateInterval?: string | undefined;
  /** Rotated files kept per service. */
  maxFiles: number;
  /** Rotated files older than this many days are deleted as well. */
  maxAgeDays?: number | undefined;
  /** Non-fatal problems (a failed rotation, a stream that had to be reopened). */
  onProblem?: (message: string, err: unknown) => void;
}

/** Thrown when an append cannot be written (disk full, permissions, store closed). */
export class LogWriteError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LogWriteError";
  }
}

const ROTATION_WAIT_MS = 5_000;
const AGE_SWEEP_MS = 60 * 60 * 1000;

/**
 * Appends entries as JSON lines to one rotating file per service (size- and time-based
 * rotation, gzip, `maxFiles` retention through rotating-file-stream; age retention here).
 */
export class LogStore {
  readonly dir: string;
  private readonly streams = new Map<string, RotatingFileStream>();
  private readonly rotations = new Map<string, { done: Promise<void>; resolve: () => void }>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: LogStoreOptions) {
    this.dir = options.dir;
  }

  /** Creates the directory and starts age-based retention. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    if (this.options.maxAgeDays !== undefined) {
      await this.sweepByAge();
      this.sweepTimer = setInterval(() => void this.sweepByAge(), AGE_SWEEP_MS);
      this.sweepTimer.unref();
    }
  }

  /**
   * Writes the entries, grouped per service, one write per service so a batch is never split
   * across a rotation. Resolves once the bytes are in the files (a query right after sees them).
   */
  async append(entries: readonly LogEntry[]): Promise<void> {
    if (this.closed) throw new LogWriteError("log store is closed");
    const perService = new Map<string, string[]>();
    for (const entry of entries) {
      const { time, service, level, message, ...fields } = entry;
      const line = JSON.stringify({ time, service, level, message, ...fields });
      const lines = perService.get(service);
      if (lines) lines.push(line);
      else perService.set(service, [line]);
    }
    await Promise.all(
      [...perService].map(([service, lines]) => this.write(service, `${lines.join("\n")}\n`)),
    );
  }

  private write(service: string, chunk: string): Promise<void> {
    const stream = this.stream(service);
    return new Promise((resolve, reject) => {
      stream.write(chunk, (err) => {
        if (err) reject(new LogWriteError(`could not write the log of ${service}: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  private stream(service: string): RotatingFileStream {
    const existing = this.streams.get(service);
    if (existing && !existing.destroyed) return existing;
    const stream = createStream((time: number | Date | null, index?: number) => {
      if (time === null) return currentFileName(service);
      return rotatedFileName(service, new Date(time), index ?? 1);
    }, {
      path: this.dir,
      size: this.options.rotateSize,
      ...(this.options.rotateInterval ? { interval: this.options.rotateInterval } : {}),
      compress: "gzip",
      maxFiles: this.options.maxFiles,
      history: historyFileName(service),
    });
    stream.on("rotation", () => {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      this.rotations.set(service, { done, resolve });
    });
    const rotationOver = () => {
      this.rotations.get(service)?.resolve();
      this.rotations.delete(service);
    };
    stream.on("open", rotationOver);
    stream.on("rotated", () => {
      if (this.options.maxAgeDays !== undefined) void this.sweepByAge();
    });
    stream.on("warning", (err) => this.options.onProblem?.(`log file warning for ${service}`, err));
    stream.on("error", (err) => {
      rotationOver();
      // A rotating-file-stream is unusable after an error; the next append opens a new one.
      if (this.streams.get(service) === stream) this.streams.delete(service);
      this.options.onProblem?.(`log stream of ${service} failed; it will be reopened`, err);
    });
    this.streams.set(service, stream);
    return stream;
  }

  /**
   * Resolves when `service` is not in the middle of a rotation (its current file is being
   * compressed into a rotated one), so a reader sees either the old or the new layout.
   */
  async settled(service: string): Promise<void> {
    const rotation = this.rotations.get(service);
    if (!rotation) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([rotation.done, new Promise((r) => (timer = setTimeout(r, ROTATION_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Readiness: the directory exists and this process may write in it. */
  async checkWritable(): Promise<void> {
    if (this.closed) throw new Error("log store is closed");
    await access(this.dir, constants.W_OK);
  }

  private async sweepByAge(): Promise<void> {
    const maxAgeDays = this.options.maxAgeDays;
    if (maxAgeDays === undefined) return;
    const cutoff = Date.now() - maxAgeDays * 86_400_000;
    try {
      for (const files of (await listLogFiles(this.dir)).values()) {
        for (const file of files.rotated) {
          if (file.rotatedAt >= cutoff) continue;
          await unlink(file.path).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== "ENOENT") throw err;
          });
        }
      }
    } catch (err) {
      this.options.onProblem?.("age-based log retention failed", err);
    }
  }

  /** Flushes and closes every file; later appends fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    const streams = [...this.streams.values()];
    this.streams.clear();
    await Promise.allSettled(
      streams.map(async (stream) => {
        stream.end();
        await finished(stream);
      }),
    );
  }
}
