/**
 * Prisma CLI configuration for Berth's one schema.
 *
 * Offline by design: the schema engine is `scripts/schema-engine.mjs` (Prisma's WASM engine behind
 * the CLI's JSON-RPC protocol), so no command ever tries to download a native engine.
 */
import path from "node:path";
import { defineConfig } from "prisma/config";

process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(import.meta.dirname, "scripts", "schema-engine.mjs");

export default defineConfig({
  schema: path.join(import.meta.dirname, "prisma", "schema.prisma"),
  migrations: { path: path.join(import.meta.dirname, "prisma", "migrations") },
  // Not `env()`: it throws when unset, and `prisma generate` must work without a database.
  datasource: { url: process.env.DATABASE_URL ?? process.env.BERTH_DATABASE_URL ?? "" },
});
