/**
 * Applying Berth's migrations: `prisma migrate deploy` run as a child process (the CLI and its
 * offline schema engine, `scripts/schema-engine.mjs`), then checked against `_prisma_migrations`.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";

/** The `packages/db` folder: holds `prisma.config.ts`, `prisma/schema.prisma` and the migrations. */
export const packageRoot = path.resolve(import.meta.dirname, "..");

/** Where the migration folders (`<timestamp>_<name>/migration.sql`) live. */
export const migrationsDir = path.join(packageRoot, "prisma", "migrations");

/** Thrown when applying migrations fails; `output` is everything the Prisma CLI printed. */
export class MigrationError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(output ? `${message}\n${output}` : message);
    this.name = "MigrationError";
  }
}

/** One migration folder as Prisma sees it. */
export interface MigrationFile {
  /** Folder name, e.g. `20260101000000_foundation`; also the row's `migration_name`. */
  name: string;
  sql: string;
}

/** The migrations in `dir`, in the order Prisma applies them (folder names sorted). */
export function listMigrations(dir: string = migrationsDir): MigrationFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b))
    .map((name) => ({ name, sql: readFileSync(path.join(dir, name, "migration.sql"), "utf8") }));
}

/** A sha256 over every migration's name and SQL: changes whenever a migration is added or edited. */
export function migrationsChecksum(dir: string = migrationsDir): string {
  const hash = createHash("sha256");
  for (const { name, sql } of listMigrations(dir)) hash.update(name).update("\0").update(sql).update("\0");
  return hash.digest("hex");
}

/**
 * Brings the database at `databaseUrl` up to date with Berth's migrations (`prisma migrate deploy`;
 * creates the database when it does not exist). Safe to call on every start-up and from several
 * processes at once: Prisma serialises concurrent runs with an advisory lock.
 *
 * @param log receives each line the Prisma CLI prints.
 * @throws MigrationError with the CLI's output when a migration fails or is left unapplied.
 */
export async function migrateDatabase(databaseUrl: string, log?: (line: string) => void): Promise<void> {
  const { code, output } = await runPrismaCli(["migrate", "deploy"], databaseUrl, log);
  if (code !== 0) throw new MigrationError(`prisma migrate deploy failed (exit code ${code})`, output);
  // The CLI exits 0 even when the schema engine process dies, so trust the database, not the exit code.
  const unapplied = await unappliedMigrations(databaseUrl).catch((err: unknown) => {
    throw new MigrationError(`could not verify migrations: ${(err as Error).message}`, output);
  });
  if (unapplied.length > 0) {
    throw new MigrationError(`prisma migrate deploy left migrations unapplied: ${unapplied.join(", ")}`, output);
  }
}

/** Names of local migrations that `_prisma_migrations` does not record as finished. */
export async function unappliedMigrations(databaseUrl: string, dir: string = migrationsDir): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const table = await client.query<{ exists: boolean }>("SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists");
    const applied = new Set<string>();
    if (table.rows[0]?.exists) {
      const rows = await client.query<{ migration_name: string }>(
        "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
      );
      for (const row of rows.rows) applied.add(row.migration_name);
    }
    return listMigrations(dir)
      .map((m) => m.name)
      .filter((name) => !applied.has(name));
  } finally {
    await client.end();
  }
}

/** Runs the Prisma CLI with this Node binary, in `packages/db`, against `databaseUrl`. */
async function runPrismaCli(
  args: string[],
  databaseUrl: string,
  log?: (line: string) => void,
): Promise<{ code: number | null; output: string }> {
  const cli = createRequire(import.meta.url).resolve("prisma/build/index.js");
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: packageRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      // The schema engine script starts with `#!/usr/bin/env node`: make that this same Node.
      PATH: [path.dirname(process.execPath), process.env["PATH"] ?? ""].join(path.delimiter),
      CHECKPOINT_DISABLE: "1",
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
      NO_COLOR: "1",
    },
  });
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream) =>
    new Promise<void>((resolve) => {
      createInterface({ input: stream, crlfDelay: Infinity })
        .on("line", (line) => {
          lines.push(line);
          if (line.trim()) log?.(line);
        })
        .on("close", resolve);
    });
  const [code] = await Promise.all([
    new Promise<number | null>((resolve, reject) => child.on("error", reject).on("close", resolve)),
    collect(child.stdout),
    collect(child.stderr),
  ]);
  return { code, output: lines.join("\n").trim() };
}
