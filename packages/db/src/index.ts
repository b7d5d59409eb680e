/**
 * `@berth/db`: Berth's one Prisma schema, its migrations and the client every service uses.
 *
 * Test helpers live in `@berth/db/testing`; `@berth/db/errors` holds {@link DatabaseUnavailableError}
 * alone, for code that must recognise it without loading the generated client.
 */
export * from "./generated/prisma/client.js";
export { createPrismaClient, type PrismaClientOptions } from "./client.js";
export { JOB_LIMITS, REQUEST_LIMITS, STALL_MARGIN_MS, type DatabaseLimits, type PoolOptions } from "./connection-pool.js";
export { DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError } from "./database-errors.js";
export { createSqlClient, SqlTransactionTimeoutError, type SqlClient, type SqlClientOptions, type SqlTransactionOptions } from "./sql-client.js";
export {
  listMigrations,
  migrateDatabase,
  MigrationError,
  migrationsChecksum,
  migrationsDir,
  unappliedMigrations,
  type MigrationFile,
} from "./migrations.js";
