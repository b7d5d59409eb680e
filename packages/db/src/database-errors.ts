/**
 * The one domain error for "PostgreSQL did not answer in time or cannot be reached", and the one
 * place that recognises it in what `pg`, its pool and Prisma throw. Services map it once, at their
 * error edge, to 503 with `Retry-After`. Free of Prisma imports (`@berth/db/errors`), so HTTP
 * packages can recognise it without loading the generated client.
 */

/** Seconds a client is told to wait (`Retry-After`) before trying again. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * PostgreSQL is stalled, down, or out of capacity: no connection within the connect timeout, no
 * answer within the statement timeout, the connection lost mid-statement, or a transaction past
 * its bound. Nothing was committed by the failed call unless its `COMMIT` had reached the server.
 */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
  readonly retryAfterSeconds = DATABASE_RETRY_AFTER_SECONDS;

  constructor(message = "the database is unavailable", options?: { cause?: unknown }) {
    super(message, options);
  }

  /**
   * `err` as a {@link DatabaseUnavailableError} when it means the database is unavailable (it is
   * one, or `pg`, its pool or Prisma reported a timeout, a lost connection or a server that cannot
   * take work — directly or as a `cause`), else `undefined`.
   */
  static from(err: unknown): DatabaseUnavailableError | undefined {
    for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
      if (e instanceof DatabaseUnavailableError) return e;
      const reason = unavailableReason(e);
      if (reason !== undefined) return new DatabaseUnavailableError(`the database is unavailable: ${reason}`, { cause: err });
    }
    return undefined;
  }
}

/**
 * SQLSTATEs meaning "not now" rather than "wrong request": class 08 (connection exception),
 * statement/lock/idle-transaction timeouts, the server shutting down or starting, out of
 * connections, disk or memory.
 */
function isUnavailableState(code: string): boolean {
  return (
    code.startsWith("08") ||
    code.startsWith("53") ||
    ["57014", "57P01", "57P02", "57P03", "55P03", "25P03"].includes(code)
  );
}

/** Socket errors of a server that cannot be reached. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

/** What `pg` and `pg-pool` say (they have no codes) when a connection times out or is lost. */
const PG_MESSAGES = [
  "timeout exceeded when trying to connect",
  "Connection terminated due to connection timeout",
  "Connection terminated unexpectedly",
  "Connection terminated",
  "Query read timeout",
  "Client was closed and is not queryable",
  "Client has encountered a connection error and is not queryable",
];

/**
 * Prisma's codes for the same: cannot reach or timed out reaching the server (P1001, P1002),
 * operation timed out (P1008), connection closed (P1017), pool timeout (P2024), a transaction
 * that could not start or expired within its bounds (P2028), too many connections (P2037).
 */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028", "P2037"]);
/** Kinds of Prisma's driver-adapter errors that mean the same. */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

function unavailableReason(e: Error): string | undefined {
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string") {
    if (SOCKET_CODES.has(code)) return code;
    if (/^[0-9A-Z]{5}$/.test(code) && "severity" in e && isUnavailableState(code)) return `${e.message} (${code})`;
    if (e.name.startsWith("PrismaClient") && PRISMA_CODES.has(code)) return `${lastLine(e.message)} (${code})`;
  }
  if (e.name.startsWith("PrismaClient")) {
    // A database error passed through the driver adapter: its original SQLSTATE or its kind.
    const cause = (e as { meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown; originalMessage?: unknown } } } }).meta?.driverAdapterError?.cause;
    if (typeof cause?.kind === "string" && ADAPTER_KINDS.has(cause.kind)) return cause.kind;
    if (typeof cause?.originalCode === "string" && isUnavailableState(cause.originalCode)) return `${String(cause.originalMessage)} (${cause.originalCode})`;
  }
  if (PG_MESSAGES.includes(e.message)) return e.message;
  return undefined;
}

/** The meaningful line of Prisma's multi-line messages (the last). */
function lastLine(message: string): string {
  return message.trim().split("\n").filter(Boolean).at(-1) ?? message;
}
