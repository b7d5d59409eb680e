/**
 * The `pg` pool under both clients (`createPrismaClient`, `createSqlClient`), with bounded waits:
 * a stalled PostgreSQL (its processes stopped by a hung disk, a network partition) answers
 * nothing at all, so server-side timeouts alone never fire; the client bounds every wait itself.
 */
import pg from "pg";
import { gauge, histogram } from "@berth/metrics";

/** How long a client waits on PostgreSQL. Request paths and jobs use different ones. */
export interface DatabaseLimits {
  /** Longest wait for a connection, a free one from the pool or a new one (ms). */
  connectTimeoutMs: number;
  /**
   * Longest a statement may run (ms; 0: unbounded). The server cancels it (`statement_timeout`);
   * a server that does not answer at all is given up {@link STALL_MARGIN_MS} later, and that
   * connection is closed.
   */
  statementTimeoutMs: number;
  /** Default longest run of an interactive transaction (ms); a caller may pass its own. */
  transactionTimeoutMs: number;
}

/** Request paths: a stalled database answers 503 within seconds (docs/operations.md). */
export const REQUEST_LIMITS: DatabaseLimits = { connectTimeoutMs: 3_000, statementTimeoutMs: 5_000, transactionTimeoutMs: 10_000 };

/** Jobs (GC, retention, the outbox relay): longer bounds; a stall delays them instead. */
export const JOB_LIMITS: DatabaseLimits = { connectTimeoutMs: 10_000, statementTimeoutMs: 300_000, transactionTimeoutMs: 300_000 };

/** How much longer than the server's statement timeout the client waits for any answer (ms). */
export const STALL_MARGIN_MS = 1_000;

/** Options shared by both clients' pools. */
export interface PoolOptions {
  /** Most connections the pool opens (default 10). */
  poolSize?: number;
  /** Idle connections are closed after this many ms (default 30 000). */
  idleTimeoutMillis?: number;
  /** Shown in `pg_stat_activity`; use the service's name. */
  applicationName?: string;
  /** Bounds on every wait; fields left out are {@link REQUEST_LIMITS}' (jobs spread {@link JOB_LIMITS}). */
  limits?: Partial<DatabaseLimits>;
}

/** The limits `options` ask for, completed from {@link REQUEST_LIMITS}. */
export function limitsOf(options: PoolOptions): DatabaseLimits {
  return { ...REQUEST_LIMITS, ...options.limits };
}

/** pg's message for a query that got no answer within `query_timeout`. */
const NO_ANSWER = "Query read timeout";

/**
 * `pg.Client` that closes itself when a query gets no answer in time. pg's `query_timeout`
 * rejects the query but keeps the connection, with the query (and any transaction) still open
 * on a server that may wake up later; back in the pool it would serve the next caller inside
 * that transaction, whose COMMIT would then commit the failed caller's writes. Closed, it is
 * dropped by the pool, and the server rolls back when it reads the end of the connection.
 */
class StallSafeClient extends pg.Client {}

const query = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
StallSafeClient.prototype.query = function (this: pg.Client, ...args: unknown[]): unknown {
  const closeIfStalled = (err: unknown) => {
    if (err instanceof Error && err.message === NO_ANSWER) void this.end().catch(() => undefined);
  };
  const callback = args.at(-1);
  if (typeof callback === "function") {
    args[args.length - 1] = (err: unknown, result: unknown) => {
      closeIfStalled(err);
      (callback as (err: unknown, result: unknown) => void)(err, result);
    };
    return query.apply(this, args);
  }
  const result = query.apply(this, args);
  if (result instanceof Promise) result.catch(closeIfStalled);
  return result;
} as pg.Client["query"];

const poolWait = histogram({
  name: "berth_db_pool_wait_seconds",
  help: "Time a caller waited for a PostgreSQL connection from the pool (a free one or a new one), by pool",
  labelNames: ["pool"],
  buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 3, 10],
});
/** Live pools by name, read at each scrape. */
const livePools = new Set<{ name: string; pool: pg.Pool }>();
gauge({
  name: "berth_db_pool_connections",
  help: "PostgreSQL connections of the pool: total open, idle, and callers waiting for one",
  labelNames: ["pool", "state"],
  collect() {
    this.reset();
    for (const entry of livePools) {
      const { pool, name } = entry;
      if (pool.ended) {
        livePools.delete(entry);
        continue;
      }
      this.inc({ pool: name, state: "total" }, pool.totalCount);
      this.inc({ pool: name, state: "idle" }, pool.idleCount);
      this.inc({ pool: name, state: "waiting" }, pool.waitingCount);
    }
  },
});

/** Times every `connect` of `pool` (pool.query takes its connections through it too). */
function measureWaits(pool: pg.Pool, name: string): void {
  const connect = pool.connect.bind(pool) as (cb?: (err: Error | undefined, client?: pg.PoolClient, release?: () => void) => void) => Promise<pg.PoolClient> | undefined;
  const observe = (start: bigint) => poolWait.observe({ pool: name }, Number(process.hrtime.bigint() - start) / 1e9);
  pool.connect = ((cb?: (err: Error | undefined, client?: pg.PoolClient, release?: () => void) => void) => {
    const start = process.hrtime.bigint();
    if (cb) {
      return connect((err, client, release) => {
        observe(start);
        cb(err, client, release);
      });
    }
    return connect()!.then(
      (client) => (observe(start), client),
      (err: unknown) => {
        observe(start);
        throw err;
      },
    );
  }) as pg.Pool["connect"];
  livePools.add({ name, pool });
}

/** A pool whose connections carry the limits (server- and client-side) and close when stalled. */
export function createPool(databaseUrl: string, options: PoolOptions = {}): pg.Pool {
  const pool = newPool(databaseUrl, options);
  measureWaits(pool, options.applicationName ?? "default");
  return pool;
}

function newPool(databaseUrl: string, options: PoolOptions): pg.Pool {
  const limits = limitsOf(options);
  return new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30_000,
    connectionTimeoutMillis: limits.connectTimeoutMs,
    ...(limits.statementTimeoutMs > 0 && {
      statement_timeout: limits.statementTimeoutMs,
      query_timeout: limits.statementTimeoutMs + STALL_MARGIN_MS,
    }),
    keepAlive: true,
    ...(options.applicationName ? { application_name: options.applicationName } : {}),
    Client: StallSafeClient,
  });
}
