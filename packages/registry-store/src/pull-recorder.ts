/**
 * Pull bookkeeping that must not slow GET: pulls are gathered in memory and flushed every
 * `flushIntervalMs` (default 1 s) in ONE transaction that adds the window's pulls to
 * `repositories.pull_count`, stamps `manifests.pulled_at`, adds them to `manifests.pull_count`
 * and appends the `manifest.pulled` outbox rows. Identical pulls (same repository, digest, tag
 * and actor) within one window become one event with a `count`. Rows are locked as a repository's
 * deletion locks them — its repository row, then its manifests in id order (artifact-store.ts)
 * — so a flush and a deletion never deadlock.
 *
 * Loss window: pulls recorded in the last interval before a crash (not a clean shutdown, which
 * flushes) are lost. Pull events are statistics and webhook hints, not state, so that trade is
 * made deliberately; pushes and deletes go through the transactional outbox.
 */
import type { SqlDatabase } from "@berth/db/sql";
import type { RegistryEventType } from "@berth/queue/events";

/** One pull of a manifest. */
export interface PullRecord {
  manifestId: bigint;
  repository: string;
  digest: string;
  mediaType: string;
  size: number;
  tag?: string | undefined;
  actor?: string | undefined;
}

/** Options of {@link PullRecorder}. */
export interface PullRecorderOptions {
  db: SqlDatabase;
  flushIntervalMs?: number;
  /** Flush early when this many distinct pulls are pending (default 5000). */
  maxPending?: number;
  /** Told about failed flushes (the batch is dropped). */
  onError?: (err: unknown) => void;
}

interface Pending {
  record: PullRecord;
  count: number;
  at: Date;
}

/** Batches pull events; call {@link PullRecorder.close} on shutdown. */
export class PullRecorder {
  readonly #db: SqlDatabase;
  readonly #maxPending: number;
  readonly #onError: (err: unknown) => void;
  #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: PullRecorderOptions) {
    this.#db = options.db;
    this.#maxPending = options.maxPending ?? 5000;
    this.#onError = options.onError ?? (() => {});
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Records a pull; costs a map update. */
  record(pull: PullRecord): void {
    const key = `${pull.manifestId}\u0000${pull.tag ?? ""}\u0000${pull.actor ?? ""}`;
    const existing = this.#pending.get(key);
    if (existing) {
      existing.count += 1;
      existing.at = new Date();
    } else {
      this.#pending.set(key, { record: pull, count: 1, at: new Date() });
      if (this.#pending.size >= this.#maxPending) void this.flush();
    }
  }

  /** Writes what is pending (one statement). Resolves when written (or dropped after an error). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushNow());
    return this.#flushing;
  }

  /** Stops the timer and flushes. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  async #flushNow(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending.values()];
    this.#pending = new Map();
    const ids = batch.map((p) => p.record.manifestId.toString());
    const times = batch.map((p) => p.at.toISOString());
    const counts = batch.map((p) => p.count);
    const payloads = batch.map((p) =>
      JSON.stringify({
        repository: p.record.repository,
        digest: p.record.digest,
        mediaType: p.record.mediaType,
        size: p.record.size,
        ...(p.record.tag !== undefined && { tag: p.record.tag }),
        ...(p.record.actor ? { actor: p.record.actor } : {}),
        ...(p.count > 1 && { count: p.count }),
        pulledAt: p.at.toISOString(),
      }),
    );
    try {
      await this.#db.$transaction(async (tx) => {
        await tx.$executeRaw`
          WITH pulls AS (
            SELECT m.repository_id AS id, sum(x.n)::bigint AS n FROM unnest(${ids}::text[], ${counts}::int[]) AS x(id, n)
            JOIN manifests m ON m.id = x.id::bigint GROUP BY m.repository_id
          ), locked AS MATERIALIZED (
            SELECT r.id FROM repositories r WHERE r.id IN (SELECT id FROM pulls) ORDER BY r.id FOR NO KEY UPDATE
          )
          UPDATE repositories r SET pull_count = r.pull_count + p.n FROM pulls p WHERE r.id = p.id AND r.id IN (SELECT id FROM locked)`;
        await tx.$executeRaw`
          WITH pulls AS (
            SELECT id::bigint AS id, max(at::timestamptz) AS at, sum(n)::bigint AS n
            FROM unnest(${ids}::text[], ${times}::text[], ${counts}::int[]) AS x(id, at, n) GROUP BY id
          ), locked AS MATERIALIZED (
            SELECT m.id FROM manifests m WHERE m.id IN (SELECT id FROM pulls) ORDER BY m.id FOR NO KEY UPDATE
          ), stamped AS (
            UPDATE manifests m SET pulled_at = GREATEST(COALESCE(m.pulled_at, p.at), p.at), pull_count = m.pull_count + p.n
            FROM pulls p WHERE m.id = p.id AND m.id IN (SELECT id FROM locked)
          )
          INSERT INTO outbox_events (type, payload)
          SELECT ${"manifest.pulled" satisfies RegistryEventType}::text, payload::jsonb FROM unnest(${payloads}::text[]) AS y(payload)`;
      });
    } catch (err) {
      this.#onError(err);
    }
  }
}
