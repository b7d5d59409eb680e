/**
 * Runs a fold — the statement that compacts pending delta rows (usage, counts) — soon after they
 * are written: {@link Folder.touched} after a write schedules one run within the interval, so a
 * burst of writes costs one fold. Deltas are exact while pending (reads add them), so folding
 * only bounds how many rows a read sums; a crash or a stopped folder loses nothing.
 */
import { raw, type SqlExecutor } from "./sql-database.js";

/**
 * Folds the delta rows (`id`, `<key>`, `delta`) of `table` into one row per key, for every key
 * that has more than one (none when they sum to 0), in one statement. Concurrent folds (every
 * service folds the tables it writes) neither wait for nor deadlock with each other: a fold locks
 * the rows it takes in id order and skips those another fold holds, and a row is summed by the
 * fold that deleted it — a key folded in two parts still sums right. `table` and `key` are
 * trusted identifiers.
 */
export async function foldCountRows(db: SqlExecutor, table: string, key: string): Promise<void> {
  await db.$executeRaw(
    raw(`WITH many AS (SELECT ${key} FROM ${table} GROUP BY ${key} HAVING count(*) > 1),
    taken AS MATERIALIZED (
      SELECT c.id FROM ${table} c WHERE EXISTS (SELECT 1 FROM many WHERE c.${key} IS NOT DISTINCT FROM many.${key})
      ORDER BY c.id FOR UPDATE SKIP LOCKED),
    d AS (DELETE FROM ${table} c USING taken WHERE c.id = taken.id RETURNING c.${key}, c.delta)
    INSERT INTO ${table} (${key}, delta)
    SELECT ${key}, sum(delta) FROM d GROUP BY ${key} HAVING sum(delta) <> 0`),
  );
}

export interface FolderOptions {
  /** The fold; runs never overlap within one folder. */
  fold: () => Promise<unknown>;
  /** How soon after a write its deltas are folded (ms, default 1000). */
  intervalMs?: number;
  /** Told about failed folds (the deltas stay; the next fold takes them). */
  onError?: (err: unknown) => void;
}

export class Folder {
  readonly #fold: () => Promise<unknown>;
  readonly #intervalMs: number;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #folding: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: FolderOptions) {
    this.#fold = options.fold;
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
    this.#folding = this.#folding.then(() => this.#fold().then(() => undefined, this.#onError));
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
