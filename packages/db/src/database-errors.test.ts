import { test } from "node:test";
import assert from "node:assert/strict";
import { DatabaseUnavailableError } from "./database-errors.js";

/** An error shaped as pg's DatabaseError (SQLSTATE in `code`, a `severity`). */
function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: "ERROR" });
}

/** An error shaped as Prisma's known request errors. */
function prismaError(code: string, message: string, meta?: unknown): Error {
  const err = Object.assign(new Error(message), { code, meta });
  err.name = "PrismaClientKnownRequestError";
  return err;
}

test("recognises timeouts, lost connections and a server that cannot take work", () => {
  const unavailable: [string, unknown][] = [
    ["pg query read timeout", new Error("Query read timeout")],
    ["pg connect timeout", new Error("Connection terminated due to connection timeout")],
    ["pool wait timeout", new Error("timeout exceeded when trying to connect")],
    ["lost connection", new Error("Connection terminated unexpectedly")],
    ["closed client", new Error("Client was closed and is not queryable")],
    ["refused", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })],
    ["statement timeout", pgError("57014", "canceling statement due to statement timeout")],
    ["lock timeout", pgError("55P03", "canceling statement due to lock timeout")],
    ["shutting down", pgError("57P01", "terminating connection due to administrator command")],
    ["starting up", pgError("57P03", "the database system is starting up")],
    ["too many connections", pgError("53300", "sorry, too many clients already")],
    ["connection exception", pgError("08006", "connection failure")],
    ["prisma transaction could not start", prismaError("P2028", "Transaction API error: Unable to start a transaction in the given time.")],
    ["prisma cannot reach", prismaError("P1001", "Can't reach database server")],
    [
      "prisma raw query cancelled",
      prismaError("P2010", "\nInvalid `prisma.$queryRaw()` invocation:\n\n\nRaw query failed. Code: `57014`.", {
        driverAdapterError: { cause: { originalCode: "57014", originalMessage: "canceling statement due to statement timeout", kind: "postgres" } },
      }),
    ],
    ["prisma adapter kind", prismaError("P2010", "x", { driverAdapterError: { cause: { kind: "ConnectionClosed" } } })],
    ["wrapped as a cause", new Error("outer", { cause: new Error("Query read timeout") })],
  ];
  for (const [what, err] of unavailable) {
    const found = DatabaseUnavailableError.from(err);
    assert.ok(found instanceof DatabaseUnavailableError, what);
    assert.equal(found.cause, err, `${what}: keeps the original as its cause`);
    assert.equal(found.retryAfterSeconds > 0, true);
  }
  const own = new DatabaseUnavailableError("stalled");
  assert.equal(DatabaseUnavailableError.from(own), own);
});

test("leaves client mistakes and bugs alone", () => {
  const other: [string, unknown][] = [
    ["unique violation", pgError("23505", "duplicate key value violates unique constraint")],
    ["invalid text", pgError("22021", 'invalid byte sequence for encoding "UTF8": 0x00')],
    ["syntax error", pgError("42601", "syntax error at or near")],
    ["serialization failure", pgError("40001", "could not serialize access")],
    ["prisma not found", prismaError("P2025", "Record to update not found.")],
    ["prisma unique", prismaError("P2002", "Unique constraint failed", { driverAdapterError: { cause: { originalCode: "23505", kind: "UniqueConstraintViolation" } } })],
    ["a bug", new TypeError("cannot read properties of undefined")],
    ["a string", "Query read timeout"],
    ["nothing", undefined],
  ];
  for (const [what, err] of other) assert.equal(DatabaseUnavailableError.from(err), undefined, what);
});
