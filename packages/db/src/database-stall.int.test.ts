/**
 * A stalled PostgreSQL, the way it happens: the server process behind a pooled connection is
 * SIGSTOPped (as a hung disk or a network partition leaves it: the socket stays open and nothing
 * answers), then SIGCONTed. Both clients (Prisma's and the raw SQL one) must give up within their
 * limits with DatabaseUnavailableError, never hand the stalled connection to the next caller, and
 * serve again after SIGCONT without a restart. Only this file's own backends are stopped, so the
 * shared test server keeps serving the other test files.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { createPrismaClient, createSqlClient, DatabaseUnavailableError, type DatabaseLimits } from "./index.js";
import { createTestDatabase, type TestDatabase } from "./testing.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];
/** Short limits, so a stall is given up on after 1.5 s (statement 0.5 s + the 1 s stall margin). */
const limits: DatabaseLimits = { connectTimeoutMs: 1_000, statementTimeoutMs: 500, transactionTimeoutMs: 30_000 };
/** Far above the limits and far below a hang: a generous bound for a shared, noisy machine. */
const BOUND_MS = 12_000;

/** The two clients, driven through the raw SQL both have. */
interface Client {
  query(sql: string, ...values: unknown[]): Promise<unknown[]>;
  transaction(fn: (tx: { execute(sql: string, ...values: unknown[]): Promise<unknown> }) => Promise<unknown>): Promise<unknown>;
  close(): Promise<void>;
}
const kinds: Record<string, (url: string, poolSize: number) => Client> = {
  "Prisma client": (url, poolSize) => {
    const prisma = createPrismaClient(url, { poolSize, limits });
    return {
      query: (sql, ...values) => prisma.$queryRawUnsafe(sql, ...values),
      transaction: (fn) => prisma.$transaction((tx) => fn({ execute: (sql, ...values) => tx.$executeRawUnsafe(sql, ...values) })),
      close: () => prisma.$disconnect(),
    };
  },
  "SQL client": (url, poolSize) => {
    const sql = createSqlClient(url, { poolSize, limits });
    return {
      query: (text, ...values) => sql.$queryRawUnsafe(text, ...values),
      transaction: (fn) => sql.$transaction((tx) => fn({ execute: (text, ...values) => tx.$executeRawUnsafe(text, ...values) })),
      close: () => sql.$disconnect(),
    };
  },
};

async function backendPid(db: Client): Promise<number> {
  const rows = (await db.query("SELECT pg_backend_pid() AS pid")) as { pid: number }[];
  return rows[0]!.pid;
}

/** Resolves with what `promise` rejected with and how long that took; fails if it resolved. */
async function failure(promise: Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (err) {
    return { err, ms: performance.now() - started };
  }
  assert.fail("expected the call to fail while the database is stalled");
}

function assertUnavailable(err: unknown, what: string): void {
  assert.ok(DatabaseUnavailableError.from(err), `${what}: not recognised as DatabaseUnavailableError: ${String(err)}`);
}

describe("database stalls (SIGSTOP of the server process behind a connection)", { timeout: 180_000 }, () => {
  let db: TestDatabase;
  const stopped = new Set<number>();
  const stop = (pid: number) => {
    stopped.add(pid);
    process.kill(pid, "SIGSTOP");
  };
  const resume = () => {
    for (const pid of stopped) process.kill(pid, "SIGCONT");
    stopped.clear();
  };
  const usernames = async (prefix: string): Promise<string[]> => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = await client.query<{ username: string }>("SELECT username FROM users WHERE username LIKE $1 ORDER BY username", [`${prefix}%`]);
      return rows.rows.map((r) => r.username);
    } finally {
      await client.end();
    }
  };

  before(async () => {
    assert.ok(adminUrl, "BERTH_TEST_PG_URL must point at a PostgreSQL server (npm test starts one)");
    db = await createTestDatabase(adminUrl);
  });
  after(async () => {
    resume();
    await db?.drop();
  });

  for (const [kind, create] of Object.entries(kinds)) {
    describe(kind, () => {
      it("a query on a stalled connection fails as unavailable within its limit; after SIGCONT it serves on a new connection", async () => {
        const client = create(db.url, 1);
        try {
          const pid = await backendPid(client);
          stop(pid);
          const { err, ms } = await failure(client.query("SELECT 1"));
          assertUnavailable(err, "query");
          assert.ok(ms < BOUND_MS, `gave up after ${Math.round(ms)} ms`);
          resume();
          const after = await backendPid(client);
          assert.notEqual(after, pid, "the stalled connection was closed, not reused");
        } finally {
          resume();
          await client.close();
        }
      });

      it("a transaction cut by a stall commits nothing, not even through the next transaction on the same pool", async () => {
        const client = create(db.url, 1);
        const prefix = `stall-${kind.split(" ")[0]!.toLowerCase()}-`;
        try {
          const pid = await backendPid(client);
          const { err } = await failure(
            client.transaction(async (tx) => {
              await tx.execute("INSERT INTO users (username, password_hash) VALUES ($1, 'x')", `${prefix}1`);
              stop(pid);
              await tx.execute("INSERT INTO users (username, password_hash) VALUES ($1, 'x')", `${prefix}2`);
            }),
          );
          assertUnavailable(err, "transaction");
          resume();
          // The pool's one connection is the next transaction's: it must not be the stalled one,
          // whose open transaction this COMMIT would otherwise complete.
          await client.transaction(async (tx) => {
            await tx.execute("INSERT INTO users (username, password_hash) VALUES ($1, 'x')", `${prefix}3`);
          });
          assert.deepEqual(await usernames(prefix), [`${prefix}3`]);
        } finally {
          resume();
          await client.close();
        }
      });

      it("waiting for a connection of a pool whose connections are all stalled is bounded", async () => {
        const client = create(db.url, 1);
        try {
          stop(await backendPid(client));
          const first = failure(client.query("SELECT 1"));
          const second = failure(client.transaction(async (tx) => tx.execute("SELECT 2")));
          for (const [what, result] of [["stalled query", await first], ["connection wait", await second]] as const) {
            assertUnavailable(result.err, what);
            assert.ok(result.ms < BOUND_MS, `${what} gave up after ${Math.round(result.ms)} ms`);
          }
          resume();
          assert.deepEqual(await client.query("SELECT 3 AS n"), [{ n: 3 }]);
        } finally {
          resume();
          await client.close();
        }
      });

      it("a statement running past the statement timeout is cancelled by the server, as unavailable", async () => {
        const client = create(db.url, 1);
        try {
          const { err } = await failure(client.query("SELECT pg_sleep(5)"));
          assertUnavailable(err, "slow statement");
          assert.match(String(DatabaseUnavailableError.from(err)?.message), /statement timeout \(57014\)/);
          assert.deepEqual(await client.query("SELECT 4 AS n"), [{ n: 4 }]);
        } finally {
          await client.close();
        }
      });
    });
  }
});
