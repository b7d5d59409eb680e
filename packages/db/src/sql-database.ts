/**
 * The narrow database interface of stores whose work is raw SQL (registry-store): tagged-template
 * queries and interactive transactions. A `PrismaClient` satisfies it as it is (core and
 * jobservice pass theirs), and so does the lean `pg` client of `createSqlClient` (the registry's).
 *
 * SQL fragments are Prisma's own: `Prisma.sql`, `join`, `raw` and `empty` live in
 * `@prisma/client-runtime-utils` (sql-template-tag), which Prisma's runtime loads with `require`.
 * Loading the same CommonJS module here gives the very `Sql` class Prisma tests fragments against
 * with `instanceof`, so a fragment nested in a tagged template is spliced by both clients alike —
 * without loading the generated client or Prisma's query compiler.
 */
import { createRequire } from "node:module";
import type * as RuntimeUtils from "@prisma/client-runtime-utils";

const runtimeUtils = createRequire(import.meta.url)("@prisma/client-runtime-utils") as typeof RuntimeUtils;

/** A SQL fragment: strings and parameter values, nestable in other fragments and queries. */
export const Sql = runtimeUtils.Sql;
export type Sql = RuntimeUtils.Sql;
/** A fragment from a template: `sql\`a = ${value}\`` (values become parameters; fragments are spliced). */
export const sql = runtimeUtils.sql;
/** A fragment joining values (or fragments) with `separator` (default `,`). */
export const join = runtimeUtils.join;
/** A fragment of trusted text, inserted as is (never pass client input). */
export const raw = runtimeUtils.raw;
/** The empty fragment. */
export const empty = runtimeUtils.empty;

/** A SQL fragment built with {@link sql}, {@link join}, {@link raw} or {@link empty}. */
export type SqlFragment = Sql;

/** Runs queries: a database handle, or the handle of one interactive transaction. */
export interface SqlExecutor {
  /** Rows of a query: a tagged template (values become parameters) or a fragment. */
  $queryRaw<T = unknown>(query: TemplateStringsArray | SqlFragment, ...values: unknown[]): Promise<T>;
  /** The number of rows a statement touched. */
  $executeRaw(query: TemplateStringsArray | SqlFragment, ...values: unknown[]): Promise<number>;
}

/** Options of an interactive transaction (Prisma's names and defaults). */
export interface SqlTransactionOptions {
  /** Longest wait for a connection (ms, default 2 000). */
  maxWait?: number;
  /** Longest the transaction may run before it is rolled back (ms, default 5 000). */
  timeout?: number;
}

/** A database: queries, and transactions that commit when `fn` resolves and roll back when it throws. */
export interface SqlDatabase extends SqlExecutor {
  $transaction<R>(fn: (tx: SqlExecutor) => Promise<R>, options?: SqlTransactionOptions): Promise<R>;
}

/** Whether `query` is a fragment rather than a tagged template's strings. */
export function isSqlFragment(query: TemplateStringsArray | SqlFragment): query is SqlFragment {
  return !Array.isArray(query) && typeof (query as SqlFragment).text === "string" && Array.isArray((query as SqlFragment).values);
}
