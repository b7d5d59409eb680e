/**
 * Locks held by a live PostgreSQL session, not by a clock: a session-level advisory lock on a
 * connection of its own, kept for as long as the work it guards runs. A worker that is paused
 * (SIGSTOP, a long freeze) keeps its locks while BullMQ, seeing the job's lock in Redis expire,
 * hands the "stalled" job to another worker, which then finds the work busy; a worker that dies
 * closes its connections and its locks go with them, so the retry proceeds. This is what lets two
 * jobservice replicas run the same queues without applying an effect twice (docs/deploy-compose.md).
 */
import pg from "pg";
import { settlesWithin } from "@berth/http";

/** Key spaces (the high 16 bits of the 64-bit advisory key); the low 48 bits are an id in the space. */
export const LOCK_SPACES = {
  /** An execution's task (`tasks.id`): webhook deliveries, and every task kind after them. */
  task: 1n,
  /** The garbage collector's sweep (id 0): one at a time across every replica. */
  gcSweep: 2n,
} as const;

export type LockSpace = keyof typeof LOCK_SPACES;

/** A held lock; `release` unlocks it (idempotent). */
export interface SessionLock {
  release(): Promise<void>;
}

export interface SessionLocksOptions {
  /** Most locks held at once (one connection each): the concurrency of the queues that lock, plus a margin. */
  max?: number;
  applicationName?: string;
}

export class SessionLocks {
  readonly #pool: pg.Pool;

  constructor(databaseUrl: string, options: SessionLocksOptions = {}) {
    this.#pool = new pg.Pool({
      connectionString: databaseUrl,
      max: options.max ?? 32,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      // Bounds the lock statements themselves; the work in between has its own limits.
      query_timeout: 10_000,
      keepAlive: true,
      application_name: options.applicationName ?? "jobservice-locks",
    });
    this.#pool.on("error", () => undefined); // a dropped idle connection held no lock
  }

  /** Takes the lock `(space, id)` if no other session holds it; undefined when one does. */
  async tryLock(space: LockSpace, id: bigint): Promise<SessionLock | undefined> {
    if (id < 0n || id >= 1n << 48n) throw new RangeError(`lock id ${id} is outside 0 … 2^48`);
    const key = ((LOCK_SPACES[space] << 48n) | id).toString();
    const client = await this.#pool.connect();
    try {
      const r = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS locked", [key]);
      if (!r.rows[0]?.locked) {
        client.release();
        return undefined;
      }
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    let released = false;
    return {
      async release() {
        if (released) return;
        released = true;
        try {
          await client.query("SELECT pg_advisory_unlock($1::bigint)", [key]);
          client.release();
        } catch (err) {
          // Closing the connection ends the session, which releases its locks.
          client.release(err as Error);
        }
      },
    };
  }

  /** Waits (polling every `everyMs`) until the lock is free, then takes it. */
  async lock(space: LockSpace, id: bigint, everyMs = 1_000): Promise<SessionLock> {
    for (;;) {
      const held = await this.tryLock(space, id);
      if (held) return held;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  /**
   * Ends the pool. A lock a job left behind at a bounded stop (see `WorkerPool.close`) would keep
   * `end()` waiting: after a second its session simply ends with the process, and the lock with it.
   */
  async close(): Promise<void> {
    await settlesWithin(this.#pool.end(), 1_000);
  }
}
