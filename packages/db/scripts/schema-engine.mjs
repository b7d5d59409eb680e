#!/usr/bin/env node
/**
 * Berth's offline Prisma schema engine.
 *
 * The `prisma` CLI runs the file named by PRISMA_SCHEMA_ENGINE_BINARY (set in prisma.config.ts) in
 * place of its native engine, which it would otherwise download. Two ways it is called:
 *
 *   schema-engine --datasource '{"url":…}' cli can-connect-to-database|create-database
 *       answered with `pg`; errors go to stderr as the engine's JSON log lines with Prisma's codes.
 *   schema-engine [--datamodels <file>]… [--datasource '{"url":…,"shadowDatabaseUrl":…}']
 *       line-delimited JSON-RPC on stdin/stdout, each request forwarded to the same-named method of
 *       @prisma/schema-engine-wasm, which reaches PostgreSQL through @prisma/adapter-pg.
 *
 * This depends on Prisma's internal engine protocol: keep prisma, @prisma/adapter-pg,
 * @prisma/driver-adapter-utils and @prisma/schema-engine-wasm pinned to versions tested together.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
/** What the engine is given when the CLI names no schema (`migrate diff`): the WASM engine needs one. */
const BARE_DATASOURCE = 'datasource db {\n  provider = "postgresql"\n}\n';

/** A pg Client that reports PostgreSQL's internal `"char"` columns as text, which adapter-pg can read. */
class CharAsTextClient extends pg.Client {
  query(...args) {
    const callback = typeof args.at(-1) === "function" ? args.pop() : undefined;
    if (typeof args[0]?.submit === "function") return super.query(...args, ...(callback ? [callback] : []));
    const result = super.query(...args).then((res) => {
      for (const r of Array.isArray(res) ? res : [res]) {
        for (const field of r.fields ?? []) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
      }
      return res;
    });
    if (!callback) return result;
    result.then((res) => callback(null, res), (err) => callback(err));
    return undefined;
  }
}

/** Where the CLI's arguments say to look: `--datamodels` (repeatable), `--datasource`, `cli <command>`. */
function parseArgs(argv) {
  const parsed = { datamodels: [], datasource: {}, cliCommand: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--datamodels") parsed.datamodels.push(argv[++i]);
    else if (arg === "--datasource") parsed.datasource = JSON.parse(argv[++i] ?? "{}");
    else if (arg === "cli") parsed.cliCommand = argv[++i];
    else if (arg === "--version" || arg === "-V") parsed.cliCommand = "--version";
    else if (arg.startsWith("--")) i++; // --enabled-preview-features, --extension-types: the schema has them too
  }
  return parsed;
}

function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

function databaseName(url) {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || new URL(url).username || "postgres";
}

const quoteIdent = (name) => `"${name.replaceAll('"', '""')}"`;

/** Runs `fn` with a one-off pg client on `url`. */
async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Maps a pg connection error to Prisma's P1xxx code and message, as the native engine reports it. */
function prismaConnectionError(err, url) {
  const u = new URL(url);
  const where = `${u.hostname}:${u.port || 5432}`;
  switch (err.code) {
    case "28P01":
    case "28000":
      return { code: "P1000", message: `Authentication failed against database server at \`${u.hostname}\`, the provided database credentials for \`${decodeURIComponent(u.username)}\` are not valid.` };
    case "3D000":
      return { code: "P1003", message: `Database \`${databaseName(url)}\` does not exist on the database server at \`${where}\`.` };
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "ETIMEDOUT":
      return { code: "P1001", message: `Can't reach database server at \`${where}\`\n\nPlease make sure your database server is running at \`${where}\`.` };
    default:
      return { code: undefined, message: err.message };
  }
}

/** `cli <command>`: answered without the WASM engine. Errors in the engine's stderr log format. */
async function runCli(command, url) {
  try {
    if (command === "--version") {
      process.stdout.write(`schema-engine-wasm ${(await loadWasmEngine()).version()}\n`);
    } else if (command === "can-connect-to-database") {
      await withClient(url, (c) => c.query("SELECT 1"));
    } else if (command === "create-database") {
      const name = databaseName(url);
      await withClient(withDatabase(url, "postgres"), async (c) => {
        await c.query(`CREATE DATABASE ${quoteIdent(name)}`).catch((err) => {
          if (err.code !== "42P04") throw err; // already exists
        });
      });
      process.stdout.write(`${JSON.stringify({ databaseName: name })}\n`);
    } else {
      throw new Error(`Unsupported schema engine CLI command: ${command}`);
    }
    return 0;
  } catch (err) {
    const { code, message } = prismaConnectionError(err, url);
    // The CLI skips stderr's first line and parses the rest as JSON log lines.
    process.stderr.write(`${JSON.stringify({ level: "INFO", fields: { message: "Starting schema engine CLI" }, target: "schema_engine" })}\n`);
    process.stderr.write(JSON.stringify({ level: "ERROR", fields: { message, ...(code ? { error_code: code } : {}) }, target: "schema_engine::logger" }));
    return 1;
  }
}

/** Loads the WASM engine without Node's experimental ESM-WASM integration (works on Node 20 too). */
async function loadWasmEngine() {
  const bindings = await import("@prisma/schema-engine-wasm/schema_engine_bg");
  const wasmFile = new URL("schema_engine_bg.wasm", import.meta.resolve("@prisma/schema-engine-wasm"));
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmFile), { "./schema_engine_bg.js": bindings });
  bindings.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return bindings;
}

/**
 * The driver adapter factory handed to the WASM engine. The shadow database is always our own
 * (`PrismaPg.connectToShadowDb()` in 7.10.x can hand back the main database when given a URL).
 */
function createAdapterFactory(datasource, shadowDatabases) {
  const connectTo = (url) => {
    const pool = new pg.Pool({ connectionString: url, Client: CharAsTextClient, max: 4 });
    return new PrismaPg(pool, { disposeExternalPool: true }).connect();
  };
  return bindMigrationAwareSqlAdapterFactory({
    provider: "postgres",
    adapterName: "@prisma/adapter-pg",
    connect: () => connectTo(datasource.url),
    connectToShadowDb: () =>
      connectToShadowDb().catch((err) => {
        log("ERROR", `Could not set up the shadow database: ${err.message}`);
        throw err;
      }),
  });

  async function connectToShadowDb() {
    if (datasource.shadowDatabaseUrl) {
      await withClient(datasource.shadowDatabaseUrl, (c) => c.query("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"));
      return connectTo(datasource.shadowDatabaseUrl);
    }
    const name = `prisma_migrate_shadow_db_${randomUUID()}`;
    await withClient(datasource.url, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
    shadowDatabases.add(name);
    const adapter = await connectTo(withDatabase(datasource.url, name));
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await dropShadowDatabase(datasource.url, name, shadowDatabases);
    };
    return adapter;
  }
}

/** Writes one line in the engine's stderr log format (the CLI shows ERROR lines' messages). */
function log(level, message) {
  process.stderr.write(`${JSON.stringify({ level, fields: { message }, target: "berth::schema_engine" })}\n`);
}

async function dropShadowDatabase(url, name, shadowDatabases) {
  if (!shadowDatabases.delete(name)) return;
  await withClient(url, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
}

/** The JSON-RPC error object the CLI expects (`data.error_code`, `data.message`, `data.is_panic`). */
function rpcError(err, panicMessage) {
  if (err instanceof WebAssembly.RuntimeError) {
    return { code: 4466, message: "An error happened. Check the data field for details.", data: { is_panic: true, message: panicMessage ?? String(err), backtrace: err.stack } };
  }
  const e = typeof err === "object" && err !== null ? err : { message: String(err) };
  return {
    code: 4466,
    message: "An error happened. Check the data field for details.",
    data: { is_panic: false, message: e.message ?? String(err), meta: e.meta ?? null, error_code: e.error_code ?? e.errorCode ?? null },
  };
}

async function runRpc({ datamodels, datasource }) {
  let panicMessage;
  globalThis.PRISMA_WASM_PANIC_REGISTRY = { set_message: (message) => (panicMessage = message) };
  // A panic inside an engine callback escapes every promise: report it the way the native engine
  // does (an ERROR log line, exit code 101), which the CLI shows as a panic.
  process.on("uncaughtException", (err) => {
    const message = panicMessage ?? String(err?.stack ?? err);
    process.stderr.write(`${JSON.stringify({ level: "ERROR", fields: { message, is_panic: true }, target: "schema_engine::logger" })}\n`);
    process.exit(101);
  });
  const shadowDatabases = new Set();
  const { SchemaEngine } = await loadWasmEngine();
  const engine = await SchemaEngine.new(
    { datamodels: datamodels.length > 0 ? datamodels.map((file) => [file, readFileSync(file, "utf8")]) : [["datasource.prisma", BARE_DATASOURCE]] },
    (line) => process.stderr.write(`${(typeof line === "string" ? line : JSON.stringify(line)).trimEnd()}\n`),
    createAdapterFactory(datasource, shadowDatabases),
  );

  let nextId = 1_000_000;
  const pendingPrints = new Map();
  const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
  /** Asks the CLI to print `content` on its stdout (how the native engine emits `migrate diff` output). */
  const print = (content) =>
    new Promise((resolve) => {
      const id = nextId++;
      pendingPrints.set(id, resolve);
      send({ jsonrpc: "2.0", id, method: "print", params: { content } });
    });

  /**
   * After `applyMigrations` has changed the database, the WASM engine's `evaluateDataLoss` and
   * `createMigration` fail with "shadow DB must be provided through an external factory" (they do
   * not call `connectToShadowDb` themselves, seen with 8.1.0-2.59be4fda). `devDiagnostic` on the
   * same migrations sets the shadow schema up again; retry once after it.
   */
  const withShadowRetry = (method) => async (params) => {
    try {
      return await engine[method](params);
    } catch (err) {
      if (!/shadow DB must be provided through an external factory/.test(err?.message ?? "")) throw err;
      await engine.devDiagnostic({ migrationsList: params.migrationsList, filters: params.filters });
      return engine[method](params);
    }
  };

  const handlers = {
    evaluateDataLoss: withShadowRetry("evaluateDataLoss"),
    createMigration: withShadowRetry("createMigration"),
    getDatabaseVersion: (params) => engine.version(params),
    async diff(params) {
      const result = await engine.diff(params);
      if (result.stdout !== null && result.stdout !== undefined) await print(result.stdout);
      return { exitCode: result.exitCode, stdout: null };
    },
    async createDatabase({ datasource: ds }) {
      const url = ds.tag === "ConnectionString" ? ds.url : datasource.url;
      const name = databaseName(url);
      await withClient(withDatabase(url, "postgres"), (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
      return { databaseName: name };
    },
  };

  let queue = Promise.resolve();
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on("line", (line) => {
    if (!line.trim()) return;
    const message = JSON.parse(line);
    if (message.method === undefined) {
      pendingPrints.get(message.id)?.();
      pendingPrints.delete(message.id);
      return;
    }
    queue = queue.then(async () => {
      const { id, method, params } = message;
      try {
        const handler = handlers[method] ?? (typeof engine[method] === "function" ? (p) => engine[method](p) : undefined);
        if (!handler) throw new Error(`Unsupported schema engine method: ${method}`);
        const result = await handler(params ?? {});
        send({ jsonrpc: "2.0", id, result: result ?? {} });
      } catch (err) {
        send({ jsonrpc: "2.0", id, error: rpcError(err, panicMessage) });
      }
    });
  });
  await new Promise((resolve) => lines.once("close", resolve));
  await queue;
  for (const name of [...shadowDatabases]) await dropShadowDatabase(datasource.url, name, shadowDatabases).catch(() => {});
  return 0;
}

const args = parseArgs(process.argv.slice(2));
const exitCode = args.cliCommand ? await runCli(args.cliCommand, args.datasource.url ?? "") : await runRpc(args);
process.exit(exitCode);
