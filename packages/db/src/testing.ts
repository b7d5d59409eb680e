/**
 * `@berth/db/testing`: a fresh, migrated database per test file, in milliseconds.
 *
 * The first call on a server migrates a template database (`berth_test_template`) and records the
 * migrations' checksum in its comment; every call then copies it with
 * `CREATE DATABASE … TEMPLATE berth_test_template`. A session advisory lock serialises test
 * processes, so parallel `node --test` workers neither race the template build nor copy it mid-build.
 * When a migration is added or edited the checksum changes and the template is rebuilt.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import pg from "pg";
import { migrateDatabase, migrationsChecksum } from "./migrations.js";

/** The template every test database is copied from. */
export const TEMPLATE_DATABASE = "berth_test_template";

/** Key of the advisory lock guarding the template ("berth" in ASCII); distinct from Prisma's 72707369. */
const TEMPLATE_LOCK_KEY = 0x6265727468;

/** A database made for one test file. */
export interface TestDatabase {
  /** Connection URL of the new database (the admin URL with its database name replaced). */
  url: string;
  /** Drops the database, closing any connections still open to it. */
  drop(): Promise<void>;
}

/**
 * Creates a fresh database with every migration applied, named `berth_test_<random>`.
 *
 * @param adminUrl a URL for a role that may create databases, e.g.
 *   `postgresql://berth@127.0.0.1:55432/postgres`.
 */
export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `berth_test_${randomBytes(8).toString("hex")}`;
  await withAdmin(adminUrl, async (admin) => {
    await admin.query("SELECT pg_advisory_lock($1)", [TEMPLATE_LOCK_KEY]);
    try {
      await ensureTemplate(admin, adminUrl);
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
    } finally {
      await admin.query("SELECT pg_advisory_unlock($1)", [TEMPLATE_LOCK_KEY]);
    }
  });
  return {
    url: withDatabase(adminUrl, name),
    drop: () => withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}

/** Builds the template unless it exists and was built from the current migrations. */
async function ensureTemplate(admin: pg.Client, adminUrl: string): Promise<void> {
  const stamp = `berth-migrations:${migrationsChecksum()}`;
  const existing = await admin.query<{ comment: string | null }>(
    "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
    [TEMPLATE_DATABASE],
  );
  if (existing.rows[0]?.comment === stamp) return;
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await migrateDatabase(withDatabase(adminUrl, TEMPLATE_DATABASE));
  // Written last: a template whose build was interrupted has no stamp and is rebuilt next time.
  await admin.query(`COMMENT ON DATABASE ${TEMPLATE_DATABASE} IS '${stamp}'`);
}

async function withAdmin<T>(adminUrl: string, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** `url` with its database name replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** Server processes stopped by {@link stallBackends}. */
export interface BackendStall {
  pids: number[];
  /** SIGCONT them all (idempotent). */
  resume(): void;
}

/**
 * Stalls the database at `url` for the clients already connected, the way a hung disk does:
 * SIGSTOPs the server process behind every open connection to it (their sockets stay open and
 * nothing answers). The postmaster is left running, so the shared test server keeps serving other
 * test files — and new connections to this database still open and work: put the clients behind
 * a {@link startDatabaseLink} and stall it too for a database that is stalled as a whole. Needs
 * permission to signal the server's processes.
 */
export async function stallBackends(url: string): Promise<BackendStall> {
  const probe = new pg.Client({ connectionString: url });
  await probe.connect();
  let pids: number[];
  try {
    const rows = await probe.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
    pids = rows.rows.map((r) => r.pid);
  } finally {
    await probe.end();
  }
  const stopped: number[] = [];
  const resume = () => {
    for (const pid of stopped.splice(0)) process.kill(pid, "SIGCONT");
  };
  try {
    for (const pid of pids) {
      process.kill(pid, "SIGSTOP");
      stopped.push(pid);
    }
  } catch (err) {
    resume();
    throw err;
  }
  return { pids, resume };
}

/** A TCP link between clients and PostgreSQL that a test can cut ({@link startDatabaseLink}). */
export interface DatabaseLink {
  /** `url` with its host and port replaced by the link's. */
  url: string;
  /**
   * Holds every byte in both directions, on open connections and on any opened from now on (a
   * network partition, or a whole server hung: connections are accepted, nothing answers).
   */
  stall(): void;
  /** Delivers what was held, in order, and forwards again (idempotent). */
  resume(): void;
  close(): Promise<void>;
}

/**
 * Starts a link in front of the server at `url` (on 127.0.0.1, a free port). Unlike
 * {@link stallBackends} it also stalls connections opened during the stall, without stopping the
 * shared test server for other test files.
 */
export async function startDatabaseLink(url: string): Promise<DatabaseLink> {
  const target = new URL(url);
  let stalled = false;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();
  /** Runs `deliver` now, or on resume when stalled, keeping the order of everything held. */
  const pass = (deliver: () => void) => (stalled ? held.push(deliver) : deliver());
  const forward = (from: Socket, to: Socket) => {
    from.on("data", (chunk: Buffer) => pass(() => to.write(chunk)));
    from.on("end", () => pass(() => to.end()));
    from.on("error", () => pass(() => to.destroy()));
    from.on("close", () => sockets.delete(from));
  };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const linked = new URL(url);
  linked.hostname = "127.0.0.1";
  linked.port = String((server.address() as AddressInfo).port);
  return {
    url: linked.toString(),
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const deliver of held.splice(0)) deliver();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The modules a fresh Node process loads for `import(entry)` (a path, or a package name resolved
 * from `cwd`), as resolved URLs: Node's in-thread module hooks record every resolution.
 */
export function modulesLoadedBy(entry: string, cwd = process.cwd()): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const seen = [];
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
    await import(${JSON.stringify(entry)});
    process.stdout.write(JSON.stringify(seen));`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", cwd });
  if (child.status !== 0) throw new Error(`importing ${entry} failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as string[];
}

/**
 * Modules of Prisma's generated client, its runtime (query compiler included) and its adapter —
 * not `@prisma/client-runtime-utils`, the SQL fragments `@berth/db/sql` shares with Prisma.
 */
export const PRISMA_CLIENT_MODULE = /generated\/prisma\/|@prisma\/client\/|@prisma\/adapter-pg|query[-_]compiler/;
