/**
 * Configuration shared by every Berth service: parse `BERTH_*` environment variables once,
 * with zod, reporting every problem at once.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

/** Thrown when the environment does not satisfy a service's schema; lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** The exit status of a process whose configuration is invalid (as sysexits' EX_USAGE family: not a crash). */
export const CONFIG_ERROR_EXIT_CODE = 2;

/** Where {@link loadConfigOrExit} reports; tests pass their own. */
export interface ConfigExitIo {
  write(text: string): void;
  exit(code: number): never;
}

const processIo: ConfigExitIo = {
  write: (text) => void process.stderr.write(text),
  exit: (code) => process.exit(code),
};

/**
 * A service's start: runs `load` (its config parsing); on a {@link ConfigError} prints
 * `<name>: invalid configuration:` and every problem to stderr — no stack trace — and exits
 * with {@link CONFIG_ERROR_EXIT_CODE}, so a supervisor can tell a bad setting from a crash
 * (restarting cannot help). Any other error propagates unchanged.
 */
export function loadConfigOrExit<T>(name: string, load: () => T, io: ConfigExitIo = processIo): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.write(`${name}: ${err.message}\n`);
    return io.exit(CONFIG_ERROR_EXIT_CODE);
  }
}

/**
 * Runs every loader and collects the problems of each one that throws a {@link ConfigError} into
 * one ConfigError, so a service reports all its bad settings at once (its own and, say, its
 * storage driver's) instead of one group per start. Other errors propagate.
 */
export function parseAll<T extends Record<string, () => unknown>>(loaders: T): { [K in keyof T]: ReturnType<T[K]> } {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, load] of Object.entries(loaders)) {
    try {
      out[key] = load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as { [K in keyof T]: ReturnType<T[K]> };
}

/**
 * Parse `env` with `schema`. The schema is written over the raw variable names
 * (`BERTH_PORT`, …) and usually ends in a `.transform` to the service's config shape.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const key = issue.path.join(".") || "(environment)";
      return `${key}: ${issue.message}`;
    }),
  );
}

/** A TCP port number given as a string. */
export const port = z.coerce.number().int().min(1).max(65535);

/** An integer in `[min, max]` given as a string. */
export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A boolean given as `true`/`false`/`1`/`0` (environment variables, query parameters). */
export const flag = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

/** An absolute http(s) URL without a trailing slash. */
export const httpUrl = z
  .url({ protocol: /^https?$/ })
  .transform((u) => u.replace(/\/+$/, ""));

/** Log levels, most severe first (winston's npm levels). */
export const logLevel = z.enum(["error", "warn", "info", "http", "verbose", "debug", "silly"]);

/** Variables every service reads: where to listen, how to log. */
export const serviceEnv = {
  BERTH_HOST: z.string().default("127.0.0.1"),
  BERTH_PORT: port,
  BERTH_LOG_LEVEL: logLevel.default("info"),
  /** Base URL of the log-collector; unset means stdout only. */
  BERTH_LOG_COLLECTOR_URL: httpUrl.optional(),
};

/**
 * Variables of services that use PostgreSQL: its URL and the bounds on waiting for it (unset:
 * `@berth/db`'s defaults, `REQUEST_LIMITS` and `JOB_LIMITS`; docs/operations.md).
 */
export const databaseEnv = {
  BERTH_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL"),
  /** Request paths: longest wait for a connection (ms). */
  BERTH_DB_CONNECT_TIMEOUT_MS: int(100, 600_000).optional(),
  /** Request paths: longest a statement may run (ms); a stalled server is given up 1 s later. */
  BERTH_DB_STATEMENT_TIMEOUT_MS: int(100, 3_600_000).optional(),
  /** Request paths: default longest run of a transaction (ms). */
  BERTH_DB_TRANSACTION_TIMEOUT_MS: int(100, 3_600_000).optional(),
  /** Jobs (GC, retention, the outbox relay): longest a statement may run (ms; 0: unbounded). */
  BERTH_DB_JOB_STATEMENT_TIMEOUT_MS: int(0, 86_400_000).optional(),
};

/** Variables of services that use Redis. */
export const redisEnv = {
  BERTH_REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be a redis:// URL"),
  /** Request paths: longest wait for a Redis command's answer (ms; unset: `@berth/redis`'s default). */
  BERTH_REDIS_COMMAND_TIMEOUT_MS: int(10, 60_000).optional(),
};

/** The variables of {@link databaseEnv} and {@link redisEnv}, parsed. */
type BackendEnv = {
  BERTH_DATABASE_URL: string;
  BERTH_DB_CONNECT_TIMEOUT_MS?: number | undefined;
  BERTH_DB_STATEMENT_TIMEOUT_MS?: number | undefined;
  BERTH_DB_TRANSACTION_TIMEOUT_MS?: number | undefined;
  BERTH_DB_JOB_STATEMENT_TIMEOUT_MS?: number | undefined;
  BERTH_REDIS_URL: string;
  BERTH_REDIS_COMMAND_TIMEOUT_MS?: number | undefined;
};

/** `obj` without its undefined fields, so it can be spread over defaults. */
function defined<T extends Record<string, unknown>>(obj: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<{ [K in keyof T]: Exclude<T[K], undefined> }>;
}

/**
 * Where PostgreSQL and Redis are and the bounds the operator set (only those: the clients'
 * packages hold the defaults): `databaseLimits.request` and `.jobs` spread over `@berth/db`'s
 * `REQUEST_LIMITS` / `JOB_LIMITS`, `redisCommandTimeoutMs` over `@berth/redis`'s.
 */
export function backendConnections(env: BackendEnv) {
  return {
    databaseUrl: env.BERTH_DATABASE_URL,
    databaseLimits: {
      request: defined({
        connectTimeoutMs: env.BERTH_DB_CONNECT_TIMEOUT_MS,
        statementTimeoutMs: env.BERTH_DB_STATEMENT_TIMEOUT_MS,
        transactionTimeoutMs: env.BERTH_DB_TRANSACTION_TIMEOUT_MS,
      }),
      jobs: defined({ statementTimeoutMs: env.BERTH_DB_JOB_STATEMENT_TIMEOUT_MS }),
    },
    redisUrl: env.BERTH_REDIS_URL,
    redisCommandTimeoutMs: env.BERTH_REDIS_COMMAND_TIMEOUT_MS,
  };
}

export { z };

/** The wiring every service with a database and Redis reads, in its config's shape. */
export function backendConfig(
  env: {
    BERTH_HOST: string;
    BERTH_PORT: number;
    BERTH_LOG_LEVEL: z.infer<typeof logLevel>;
    BERTH_LOG_COLLECTOR_URL?: string | undefined;
  } & BackendEnv,
) {
  return {
    host: env.BERTH_HOST,
    port: env.BERTH_PORT,
    logLevel: env.BERTH_LOG_LEVEL,
    logCollectorUrl: env.BERTH_LOG_COLLECTOR_URL,
    ...backendConnections(env),
  };
}

/**
 * The Node.js flags a program declares in its package.json (`"berth": {"nodeOptions": [...]}`),
 * the one home of a program's runtime tuning: the launcher passes them to `node`, the image
 * builder puts them on the image's command line (docs/operations.md). A missing file or field is
 * no flags; a malformed one throws.
 */
export function nodeOptionsOf(packageJsonPath: string): string[] {
  let text: string;
  try {
    text = readFileSync(packageJsonPath, "utf8");
  } catch {
    return [];
  }
  const flags = (JSON.parse(text) as { berth?: { nodeOptions?: unknown } }).berth?.nodeOptions;
  if (flags === undefined) return [];
  if (!Array.isArray(flags) || !flags.every((f): f is string => typeof f === "string" && /^--[a-z0-9-]+(=[^\s]+)?$/.test(f))) {
    throw new Error(`${packageJsonPath}: berth.nodeOptions must be a list of flags like "--max-semi-space-size=1"`);
  }
  return flags;
}
