/**
 * Usage of projects without a limit is charged as delta rows (quota-store.ts), against a real
 * PostgreSQL: usage stays exact while deltas are pending and after they are folded; a limit set
 * while such a charge is in flight waits for it, and the limited path then counts it; an unlink
 * and a push of the same blob into another repository of the project see each other.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { createSqlClient, type SqlClient, type SqlClientTransaction } from "@berth/db/sql";
import { chargeBlobs, lockProjectLimit, QuotaExceededError } from "./index.js";
import { createGcFixture, type GcFixture } from "./gc/gc-support.test-helpers.js";

const adminUrl = process.env["BERTH_TEST_PG_URL"];

describe("project usage without a limit (delta rows)", { skip: adminUrl === undefined && "BERTH_TEST_PG_URL is not set" }, () => {
  let f: GcFixture;
  let sql: SqlClient;
  before(async () => {
    f = await createGcFixture(adminUrl!);
    sql = createSqlClient(f.db.url, { poolSize: 4, limits: { statementTimeoutMs: 30_000 } });
  });
  after(async () => {
    await sql?.$disconnect();
    await f?.close();
  });

  async function project(name: string, limit = -1): Promise<number> {
    const rows = await f.prisma.$queryRaw<{ id: number }[]>`INSERT INTO projects (name, owner_id, storage_limit) VALUES (${name}, 1, ${limit}) RETURNING id`;
    return rows[0]!.id;
  }
  const usage = async (id: number) => (await f.store.quotas.usage([id])).get(id)!;
  const pendingDeltas = async (id: number) =>
    Number((await f.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM project_usage_deltas WHERE project_id = ${id}`)[0]!.n);
  const repositoryId = async (name: string) => (await f.prisma.$queryRaw<{ id: number }[]>`SELECT id FROM repositories WHERE name = ${name}`)[0]!.id;

  /** A transaction that stays open until `commit()`. */
  async function held(): Promise<{ tx: SqlClientTransaction; commit(): Promise<void> }> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let ready!: (tx: SqlClientTransaction) => void;
    const tx = new Promise<SqlClientTransaction>((r) => (ready = r));
    const done = sql.$transaction(
      async (t) => {
        ready(t);
        await released;
      },
      { timeout: 60_000 },
    );
    return {
      tx: await tx,
      async commit() {
        release();
        await done;
      },
    };
  }

  test("uploads append deltas; usage is exact before and after a fold, a blob counts once", async () => {
    const id = await project("delta");
    await f.upload("delta/a", Buffer.from("one blob".repeat(10)));
    await f.upload("delta/b", Buffer.from("one blob".repeat(10))); // same blob, other repository
    await f.upload("delta/b", Buffer.from("another".repeat(3)));
    assert.ok((await pendingDeltas(id)) > 0, "charges of a project without a limit are delta rows");
    assert.equal(await usage(id), 80 + 21);
    assert.equal(await usage(id), await f.store.quotas.recount("delta"));
    assert.ok((await f.store.quotas.fold()) >= 1);
    assert.equal(await pendingDeltas(id), 0);
    assert.equal(await usage(id), 101, "folding changes nothing a reader sees");
  });

  test("a limit set while a delta charge is in flight waits for it; the limited path counts it", async () => {
    const id = await project("switch");
    await f.upload("switch/r", Buffer.from("seed"));
    const repo = await repositoryId("switch/r");
    // A push's transaction that charged 1000 bytes without a limit, not committed yet.
    await f.prisma.$executeRaw`INSERT INTO blobs (digest, size) VALUES ('sha256:inflight', 1000)`;
    const push = await held();
    await push.tx.$executeRaw`INSERT INTO repository_blobs (repository_id, blob_digest) VALUES (${repo}, 'sha256:inflight')`;
    await chargeBlobs(push.tx, repo, [{ digest: "sha256:inflight", size: 1000 }]);
    let limitSet = false;
    const setting = f.prisma
      .$transaction(async (tx) => {
        await lockProjectLimit(tx, id);
        await tx.$executeRaw`UPDATE projects SET storage_limit = 1010 WHERE id = ${id}`;
      })
      .then(() => (limitSet = true));
    await sleep(300);
    assert.equal(limitSet, false, "setting the limit waits for the charge in flight");
    await push.commit();
    await setting;
    assert.equal(await usage(id), 1004);
    // 1004 used of 1010: a new 10-byte blob does not fit, and the check counted the pending delta.
    await assert.rejects(f.upload("switch/r", Buffer.from("0123456789")), QuotaExceededError);
    await f.upload("switch/r", Buffer.from("012345"));
    assert.equal(await usage(id), 1010);
  });

  test("an unlink waits for a push counting the same blob through another repository", async () => {
    const id = await project("shared");
    const bytes = Buffer.from("shared between two repositories");
    const digest = await f.upload("shared/a", bytes);
    await f.upload("shared/seed", Buffer.from("b exists"));
    const b = await repositoryId("shared/seed");
    // A push linking the blob into shared/seed, counted (its project_blobs row locked), not committed.
    const push = await held();
    await push.tx.$executeRaw`INSERT INTO repository_blobs (repository_id, blob_digest) VALUES (${b}, ${digest})`;
    await chargeBlobs(push.tx, b, [{ digest, size: bytes.length }]);
    let unlinked = false;
    const unlink = f.store.blobs.unlink("shared/a", digest).then(() => (unlinked = true));
    await sleep(300);
    assert.equal(unlinked, false, "the unlink waits for the push holding the blob's project row");
    await push.commit();
    await unlink;
    // The blob is still linked (shared/seed): still counted, exactly once.
    assert.equal(await usage(id), await f.store.quotas.recount("shared"));
    assert.equal(await usage(id), bytes.length + 8);
  });
});
