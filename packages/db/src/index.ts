/**
 * `@berth/db`: Berth's one Prisma schema, its migrations and the client every service uses.
 *
 * Raw SQL without the Prisma client (the registry's stores) is `@berth/db/sql`, re-exported here;
 * test helpers live in `@berth/db/testing`; `@berth/db/errors` holds {@link DatabaseUnavailableError}
 * alone, for code that must recognise it without loading the generated client.
 */
export * from "./generated/prisma/client.js";
export { createPrismaClient, type PrismaClientOptions } from "./client.js";
export { STALL_MARGIN_MS, type PoolOptions } from "./connection-pool.js";
export * from "./sql.js";
export {
  listMigrations,
  migrateDatabase,
  MigrationError,
  migrationsChecksum,
  migrationsDir,
  unappliedMigrations,
  type MigrationFile,
} from "./migrations.js";
