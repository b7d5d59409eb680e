import { spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import pg from "pg";
import { postgresBinDir } from "./binaries.js";
import { ensureTraversable, lookupUser, type OsUser } from "./os-user.js";
import { pickFreeTcpPort } from "./ports.js";
import { isAlive, ProcessSupervisor, type SupervisedChild } from "./process-supervisor.js";
import { StartupError, waitUntil } from "./wait.js";

export interface PostgresOptions {
  /** PGDATA; initialised on first start (`initdb -A trust -U berth`). */
  dir: string;
  /** TCP port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** Unix socket directory; default `<dir>/../run/postgres`. */
  socketDir?: string;
  /** Directory with initdb and postgres; default the newest /usr/lib/postgresql/<v>/bin. */
  binDir?: string;
  /** Database created when missing (default `berth`). */
  database?: string;
  /** Launcher messages (not PostgreSQL's own output, which goes through the supervisor). */
  log?: (line: string) => void;
  /** The stack's supervisor; a private one (stopped by `stop()`) when omitted. */
  supervisor?: ProcessSupervisor;
  signal?: AbortSignal;
  tier?: number;
}

export interface RunningPostgres {
  /** postgresql://berth@127.0.0.1:<port>/berth */
  url: string;
  /** postgresql://berth@127.0.0.1:<port>/postgres — for creating and dropping databases. */
  adminUrl: string;
  port: number;
  child: SupervisedChild;
  /** Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL. */
  stop(): Promise<void>;
}

const USER = "berth";

function runToCompletion(command: string, args: string[], user: OsUser | undefined): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      env: { ...process.env, LC_ALL: "C.UTF-8" },
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolvePromise(output) : reject(new StartupError(`${command} failed (exit ${code}):\n${output}`))));
  });
}

/** Unix socket paths are limited to 107 bytes; fall back to a short directory under /tmp. */
function socketDirFor(wanted: string, port: number): string {
  if (join(wanted, `.s.PGSQL.${port}`).length <= 100) return wanted;
  return join(tmpdir(), `berth-pg-${createHash("sha256").update(wanted).digest("hex").slice(0, 12)}`);
}

/** Creates `dir` (mode `mode`, owned by `user`) below ordinary, searchable parents. */
function prepareDir(dir: string, user: OsUser | undefined, mode: number): void {
  mkdirSync(dirname(dir), { recursive: true });
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
  if (user) {
    chownSync(dir, user.uid, user.gid);
    ensureTraversable(dirname(dir), user);
  }
}

/** initdb into `<dir>.initdb` and rename, so a half-initialised cluster is never mistaken for one. */
async function initCluster(dir: string, binDir: string, user: OsUser | undefined, log: (l: string) => void): Promise<void> {
  if (existsSync(dir)) {
    if (readdirSync(dir).length > 0) {
      throw new StartupError(`${dir} exists but holds no PostgreSQL cluster (no PG_VERSION); move it away and start again`);
    }
    rmSync(dir, { recursive: true });
  }
  const staging = `${dir}.initdb`;
  rmSync(staging, { recursive: true, force: true });
  prepareDir(staging, user, 0o700);
  log(`initialising PostgreSQL cluster in ${dir} (superuser "${USER}", trust authentication on loopback only)`);
  await runToCompletion(join(binDir, "initdb"), ["-D", staging, "-A", "trust", "-U", USER, "-E", "UTF8", "--locale=C.UTF-8"], user);
  renameSync(staging, dir);
}

/**
 * A postmaster.pid whose PID is dead — or alive but not a postmaster of this directory
 * (the PID was reused after a crash) — would stop PostgreSQL from starting: remove it.
 * A live postmaster of this directory is a leftover of a killed launcher: stop it first.
 */
async function clearStalePid(dir: string, log: (l: string) => void): Promise<void> {
  const file = join(dir, "postmaster.pid");
  let pid: number;
  try {
    pid = Number(readFileSync(file, "utf8").split("\n")[0]);
  } catch {
    return;
  }
  if (pid > 0 && isAlive(pid)) {
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
      // not Linux, or gone
    }
    if (cmdline.includes("postgres") && cmdline.includes(dir)) {
      log(`a PostgreSQL from an earlier start is still running (PID ${pid}); stopping it`);
      process.kill(pid, "SIGINT");
      await waitUntil(async () => (isAlive(pid) ? "still running" : true), { what: `old postmaster ${pid} to stop`, timeoutMs: 20_000 });
      return;
    }
  }
  log(`removing stale ${file} (PID ${pid} is not a running postmaster)`);
  rmSync(file, { force: true });
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

/** Line 8 of `postmaster.pid` (`starting`, `ready`, `stopping`), when the file is `pid`'s. */
function postmasterStatus(dir: string, pid: number): string {
  try {
    const lines = readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n");
    if (Number(lines[0]) !== pid) return "starting (no postmaster.pid yet)";
    return lines[7]?.trim() || "starting";
  } catch {
    return "starting (no postmaster.pid yet)";
  }
}

async function canConnect(adminUrl: string): Promise<true | string> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Starts a private PostgreSQL server in the foreground, listening on 127.0.0.1 only, and
 * creates the `berth` database. As root the server runs as the `postgres` user (PostgreSQL
 * refuses root) via `setpriv`, so the child's PID is the postmaster's.
 */
export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const log = options.log ?? ((l: string) => process.stderr.write(`[berth] ${l}\n`));
  const dir = resolve(options.dir);
  const binDir = postgresBinDir(options.binDir);
  const database = options.database ?? "berth";
  const isRoot = process.getuid?.() === 0;
  const user = isRoot ? lookupUser("postgres") : undefined;
  if (isRoot && !user) throw new StartupError("running as root, but there is no `postgres` user to run PostgreSQL as (install the postgresql package)");
  mkdirSync(dirname(dir), { recursive: true });
  if (user) {
    const changed = ensureTraversable(dirname(dir), user);
    if (changed.length) log(`made ${changed.join(", ")} searchable by others (o+x) so the postgres user can reach ${dir}`);
  }
  if (!existsSync(join(dir, "PG_VERSION"))) await initCluster(dir, binDir, user, log);
  else if (user && statSync(dir).uid !== user.uid) {
    log(`${dir} is not owned by postgres; changing its owner`);
    await runToCompletion("chown", ["-R", `${user.uid}:${user.gid}`, dir], undefined);
  }
  await clearStalePid(dir, log);

  const port = options.port ?? (await pickFreeTcpPort());
  const socketDir = socketDirFor(options.socketDir ?? join(dirname(dir), "run", "postgres"), port);
  prepareDir(socketDir, user, 0o700);

  const ownSupervisor = !options.supervisor;
  const supervisor = options.supervisor ?? new ProcessSupervisor();
  const child = await supervisor.spawn({
    name: "postgres",
    command: join(binDir, "postgres"),
    args: [
      "-D", dir,
      "-p", String(port),
      "-k", socketDir,
      "-c", "listen_addresses=127.0.0.1",
      "-c", "shared_buffers=128MB",
      "-c", "max_connections=200",
      "-c", "fsync=on",
      "-c", "logging_collector=off",
    ],
    env: { ...process.env, LC_ALL: "C.UTF-8" },
    tier: options.tier ?? 0,
    stopSteps: [
      { signal: "SIGINT", waitMs: 8_000 },
      { signal: "SIGQUIT", waitMs: 2_000 },
    ],
    deathSignal: "SIGINT",
    format: "postgres",
    ...(user ? { runAs: user.name } : {}),
  });
  const stop = ownSupervisor ? async () => void (await supervisor.stopAll()) : () => supervisor.stop(child);
  const adminUrl = `postgresql://${USER}@127.0.0.1:${port}/postgres`;
  try {
    // As pg_ctl -w does: wait for postmaster.pid to say "ready" first, since every connection
    // tried earlier makes PostgreSQL log a FATAL "the database system is starting up".
    const ready = async () => {
      const status = postmasterStatus(dir, child.pid);
      return status === "ready" ? canConnect(adminUrl) : `PostgreSQL is ${status}`;
    };
    await waitUntil(ready, { what: "PostgreSQL", timeoutMs: 60_000, child, signal: options.signal });
    await ensureDatabase(adminUrl, database);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `postgresql://${USER}@127.0.0.1:${port}/${database}`, adminUrl, port, child, stop };
}
