/**
 * `@berth/db`: Berth's one Prisma schema, its migrations and the client every service uses.
 *
 * Test helpers live in `@berth/db/testing`.
 */
export * from "./generated/prisma/client.js";
export { createPrismaClient, type PrismaClientOptions } from "./client.js";
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
