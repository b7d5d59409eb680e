/**
 * `@berth/db/sql`: raw SQL without the generated Prisma client — the {@link SqlDatabase}
 * interface stores are typed against, SQL fragments, the lean `pg` client and error tests. The
 * registry imports only this entry, so its process never loads Prisma's client or query compiler.
 */
export { sql, empty, join, raw, Sql, isSqlFragment, type SqlDatabase, type SqlExecutor, type SqlFragment, type SqlTransactionOptions } from "./sql-database.js";
export { createSqlClient, SqlTransactionTimeoutError, type SqlClient, type SqlClientOptions, type SqlClientTransaction } from "./sql-client.js";
export { isRecordNotFound, isUniqueViolation } from "./db-errors.js";
export { DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError } from "./database-errors.js";
export { JOB_LIMITS, REQUEST_LIMITS, type DatabaseLimits } from "./connection-pool.js";
export { orderItems, pageWindow, type ListOrder, type PageWindow } from "./list-page.js";
export { Folder, foldCountRows, type FolderOptions } from "./folder.js";
export { boundaryIds, fromBoundary, PageBoundaries, seekable, type BoundaryStep, type PageBoundariesOptions, type PageStart } from "./page-boundaries.js";
