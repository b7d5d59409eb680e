/**
 * `@berth/db`: Berth's one Prisma schema, its migrations and the client every service uses.
 *
 * Raw SQL without the Prisma client (the registry's stores) is `@berth/db/sql`, re-exported here;
 * test helpers live in `@berth/db/testing`.
 */
export * from "./generated/prisma/client.js";
export { createPrismaClient, type PrismaClientOptions } from "./client.js";
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
