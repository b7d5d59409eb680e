/**
 * A lean client for services whose database work is all raw SQL (the registry's stores): the
 * {@link SqlDatabase} interface — `$queryRaw`, `$executeRaw` (tagged templates and `sql`
 * fragments), interactive `$transaction(fn)` — plus the `…Unsafe` forms, straight over a `pg`
 * pool. Results come back as Prisma returns them for raw queries (int8 as `bigint`, bytea as
 * bytes, json parsed, timestamps as `Date`). It never loads the generated Prisma client.
 *
 * Why: per query, Prisma's client (query building, its engine's result mapping, the adapter)
 * costs several times what `pg` does; on the registry's hot paths (manifest GET by tag, manifest
 * PUT's transaction of ~10 statements, upload sessions) that overhead dominated the CPU profile.
 * Semantics are the same SQL in the same transactions: only the client-side layer is thinner.
 */
import pg from "pg";
import { createPool, limitsOf, type DatabaseLimits, type PoolOptions } from "./connection-pool.js";
import { DatabaseUnavailableError } from "./database-errors.js";
import { isSqlFragment, sql, type SqlDatabase, type SqlExecutor, type SqlFragment, type SqlTransactionOptions } from "./sql-database.js";

/** Options for {@link createSqlClient}: the pool's, with its limits (default the request paths'). */
export interface SqlClientOptions extends PoolOptions {
  /** Told about errors of idle pooled connections (e.g. the server restarted); they never crash. */
  onPoolError?: (err: Error) => void;
}

/** A transaction's view of a {@link SqlClient}: queries only. */
export interface SqlClientTransaction extends SqlExecutor {
  $queryRaw<T = unknown>(query: TemplateStringsArray | SqlFragment, ...values: unknown[]): Promise<T>;
  $executeRaw(query: TemplateStringsArray | SqlFragment, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/** What {@link createSqlClient} returns: a {@link SqlDatabase} over its own pool. */
export interface SqlClient extends SqlDatabase, SqlClientTransaction {
  $transaction<R>(fn: (tx: SqlClientTransaction) => Promise<R>, options?: SqlTransactionOptions): Promise<R>;
  $disconnect(): Promise<void>;
}

const INT8 = 20;
const INT8_ARRAY = 1016;
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8) return (value: string) => BigInt(value);
    if (oid === INT8_ARRAY) {
      const parseArray = (pg.types.getTypeParser as (oid: number, format: string) => unknown)(1009, "text") as (value: string) => (string | null)[];
      return (value: string) => parseArray(value).map((v) => (v === null ? null : BigInt(v)));
    }
    return (pg.types.getTypeParser as (oid: number, format: string) => unknown)(oid, format ?? "text");
  },
} as unknown as pg.CustomTypesConfig;

type Queryable = { query: pg.Pool["query"] };

function toQuery(query: TemplateStringsArray | SqlFragment, values: unknown[]): { text: string; values: unknown[] } {
  const fragment = isSqlFragment(query) ? query : sql(query, ...values);
  return { text: fragment.text, values: fragment.values };
}

/** Thrown by queries of a transaction that ran past its `timeout` (it is rolled back). */
export class SqlTransactionTimeoutError extends DatabaseUnavailableError {
  override name = "SqlTransactionTimeoutError";
}

/** `err`, or the {@link DatabaseUnavailableError} it means. */
function translated(err: unknown): unknown {
  return DatabaseUnavailableError.from(err) ?? err;
}

/**
 * Statement names by SQL text: a named query is parsed (and, after a few runs, planned) once per
 * connection instead of on every run — the stores' SQL is static text, so the set is small. The
 * first {@link MAX_NAMED} distinct texts get names; any others run unnamed, so a caller building
 * SQL dynamically cannot grow the server's per-connection statement caches without bound.
 */
const statementNames = new Map<string, string>();
const MAX_NAMED = 512;

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED) {
    name = `berth_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name;
}

function clientOver(runner: Queryable, pool: pg.Pool, limits: DatabaseLimits, assertOpen: () => void): SqlClient {
  const run = async (text: string, values: unknown[]): Promise<pg.QueryResult> => {
    assertOpen();
    const name = statementName(text);
    try {
      return await runner.query(name === undefined ? { text, values, types } : { name, text, values, types });
    } catch (err) {
      throw translated(err);
    }
  };
  const self: SqlClient = {
    async $queryRaw<T>(query: TemplateStringsArray | SqlFragment, ...values: unknown[]): Promise<T> {
      const q = toQuery(query, values);
      return (await run(q.text, q.values)).rows as T;
    },
    async $executeRaw(query: TemplateStringsArray | SqlFragment, ...values: unknown[]): Promise<number> {
      const q = toQuery(query, values);
      return (await run(q.text, q.values)).rowCount ?? 0;
    },
    async $queryRawUnsafe<T>(text: string, ...values: unknown[]): Promise<T> {
      return (await run(text, values)).rows as T;
    },
    async $executeRawUnsafe(text: string, ...values: unknown[]): Promise<number> {
      return (await run(text, values)).rowCount ?? 0;
    },
    async $transaction<R>(fn: (tx: SqlClientTransaction) => Promise<R>, options: SqlTransactionOptions = {}): Promise<R> {
      if (runner !== pool) throw new Error("nested transactions are not supported");
      if (typeof fn !== "function") throw new Error("only interactive transactions ($transaction(async (tx) => …)) are supported");
      const client = await connectWithin(pool, options.maxWait ?? limits.connectTimeoutMs).catch((err: unknown) => {
        throw translated(err);
      });
      const timeout = options.timeout ?? limits.transactionTimeoutMs;
      let expired = false;
      let done = false;
      const timer = setTimeout(() => {
        expired = true;
      }, timeout);
      const assertLive = () => {
        if (expired) throw new SqlTransactionTimeoutError(`transaction ran past its ${timeout} ms timeout and was rolled back`);
        if (done) throw new Error("transaction already closed");
      };
      let broken = false;
      try {
        await client.query("BEGIN");
        const result = await fn(clientOver(client, pool, limits, assertLive));
        assertLive();
        await client.query("COMMIT");
        return result;
      } catch (err) {
        // A connection that stalled is already closed (connection-pool.ts): the ROLLBACK fails at
        // once, the connection is dropped, and the server rolls back when it reads its end.
        await client.query("ROLLBACK").catch(() => {
          broken = true;
        });
        throw translated(err);
      } finally {
        done = true;
        clearTimeout(timer);
        client.release(broken ? true : undefined);
      }
    },
    async $disconnect() {
      await pool.end();
    },
  };
  return self;
}

async function connectWithin(pool: pg.Pool, maxWaitMs: number): Promise<pg.PoolClient> {
  let timer: NodeJS.Timeout | undefined;
  const connecting = pool.connect();
  try {
    return await Promise.race([
      connecting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DatabaseUnavailableError(`no database connection free within ${maxWaitMs} ms`)), maxWaitMs);
      }),
    ]);
  } catch (err) {
    // A connection that arrives after the deadline goes back to the pool.
    connecting.then((c) => c.release(), () => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A {@link SqlClient} for the database at `databaseUrl`, bounded by `options.limits` (default the
 * request paths' limits); a stalled or unreachable database throws {@link DatabaseUnavailableError}.
 * Connections open lazily.
 */
export function createSqlClient(databaseUrl: string, options: SqlClientOptions = {}): SqlClient {
  const pool = createPool(databaseUrl, options);
  pool.on("error", (err) => options.onPoolError?.(err));
  return clientOver(pool, pool, limitsOf(options), () => {});
}
