/**
 * Folds the usage deltas of projects without a limit (quota-store.ts) into `used_storage` soon
 * after they are written: the stores call {@link UsageFolder.touched} after a charge that appended
 * a delta, and the folder runs {@link foldUsage} once per interval while there are such charges.
 * Deltas are exact while pending (reads add them), so folding only bounds how many rows a read
 * sums; a crash or a stopped folder loses nothing.
 */
import type { SqlDatabase } from "@berth/db/sql";
import { foldUsage } from "./quota-store.js";

export interface UsageFolderOptions {
  db: SqlDatabase;
  /** How soon after a charge its delta is folded (ms, default 1000). */
  intervalMs?: number;
  /** Told about failed folds (the deltas stay; the next fold takes them). */
  onError?: (err: unknown) => void;
}

export class UsageFolder {
  readonly #db: SqlDatabase;
  readonly #intervalMs: number;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #folding: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: UsageFolderOptions) {
    this.#db = options.db;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#onError = options.onError ?? (() => {});
  }

  /** A delta was written: fold within the interval. */
  touched(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.fold();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Folds now (after any fold in progress). */
  fold(): Promise<void> {
    this.#folding = this.#folding.then(() => foldUsage(this.#db).then(() => undefined, this.#onError));
    return this.#folding;
  }

  /** Stops the timer and folds what is pending. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      await this.fold();
    }
    await this.#folding;
  }
}
