// Core's GC API (Harbor's /api/v2.0/system/gc…) over a real database: who may call it, manual
// runs (201 + Location, 409 while one is pending, the gc.requested outbox event), the schedule
// round trip (with its gc.schedule.changed event), history paging and a run's log.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { adminAuth, basic, call, createUser, startTestCore, type TestCore } from "../test-support.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"] && process.env["BERTH_TEST_REDIS_URL"]);
const PW = "Passw0rdX";
const params = { delete_untagged: true, dry_run: true, workers: 3, time_window: 5 };

describe("GC API", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let core: TestCore;
  before(async () => {
    core = await startTestCore({ redis: "none" });
    await createUser(core.db, "alice", PW);
    await createUser(core.db, "root2", PW, true);
  });
  after(async () => core?.close());

  it("is for system administrators only", async () => {
    for (const [method, path] of [
      ["GET", "/api/v2.0/system/gc"],
      ["GET", "/api/v2.0/system/gc/schedule"],
      ["POST", "/api/v2.0/system/gc/schedule"],
      ["PUT", "/api/v2.0/system/gc/schedule"],
      ["GET", "/api/v2.0/system/gc/1"],
      ["GET", "/api/v2.0/system/gc/1/log"],
    ] as const) {
      const body = method === "GET" ? {} : { body: { schedule: { type: "Manual" } } };
      assert.equal((await call(core.base, method, path, body)).status, 401, `${method} ${path} anonymous`);
      assert.equal((await call(core.base, method, path, { headers: basic("alice", PW), ...body })).status, 403, `${method} ${path} non-admin`);
    }
    assert.equal(await core.db.gcRun.count(), 0);
    assert.equal((await call(core.base, "GET", "/api/v2.0/system/gc", { headers: basic("root2", PW) })).status, 200);
  });

  it("creates a manual run with an outbox event, refuses a second while it is pending, and shows it", async () => {
    const created = await call(core.base, "POST", "/api/v2.0/system/gc/schedule", { headers: adminAuth(), body: { schedule: { type: "Manual" }, parameters: params } });
    assert.equal(created.status, 201, JSON.stringify(created.data));
    const location = created.headers.get("location")!;
    assert.match(location, /^\/api\/v2\.0\/system\/gc\/\d+$/);
    const id = Number(location.split("/").pop());

    const run = await core.db.gcRun.findUniqueOrThrow({ where: { id: BigInt(id) } });
    assert.deepEqual(
      { status: run.status, trigger: run.trigger, dryRun: run.dryRun, deleteUntagged: run.deleteUntagged, workers: run.workers, window: run.timeWindowHours },
      { status: "Pending", trigger: "Manual", dryRun: true, deleteUntagged: true, workers: 3, window: 5 },
    );
    const event = await core.db.outboxEvent.findFirstOrThrow({ where: { type: "gc.requested" } });
    assert.deepEqual(event.payload, { runId: String(id), trigger: "Manual" });

    const again = await call(core.base, "POST", "/api/v2.0/system/gc/schedule", { headers: adminAuth(), body: { schedule: { type: "Manual" } } });
    assert.equal(again.status, 409);
    assert.equal(again.data.errors[0].code, "CONFLICT");
    assert.equal(await core.db.gcRun.count(), 1);
    assert.equal(await core.db.outboxEvent.count({ where: { type: "gc.requested" } }), 1);

    const one = await call(core.base, "GET", location, { headers: adminAuth() });
    assert.equal(one.status, 200);
    assert.equal(one.data.id, id);
    assert.equal(one.data.job_name, "GARBAGE_COLLECTION");
    assert.equal(one.data.job_kind, "MANUAL");
    assert.equal(one.data.job_status, "Pending");
    assert.deepEqual(JSON.parse(one.data.job_parameters), params);

    await core.db.gcRun.update({ where: { id: BigInt(id) }, data: { status: "Success", log: "2026-01-01T00:00:00.000Z step 1\n2026-01-01T00:00:01.000Z done\n" } });
    const log = await call(core.base, "GET", `${location}/log`, { headers: adminAuth() });
    assert.equal(log.status, 200);
    assert.match(log.headers.get("content-type")!, /^text\/plain/);
    assert.equal(log.data, "2026-01-01T00:00:00.000Z step 1\n2026-01-01T00:00:01.000Z done\n");

    assert.equal((await call(core.base, "GET", "/api/v2.0/system/gc/999999", { headers: adminAuth() })).status, 404);
    assert.equal((await call(core.base, "GET", "/api/v2.0/system/gc/999999/log", { headers: adminAuth() })).status, 404);
    assert.equal((await call(core.base, "GET", "/api/v2.0/system/gc/abc", { headers: adminAuth() })).status, 400);
  });

  it("stores the schedule (Harbor's body) and records each change in the outbox", async () => {
    const none = await call(core.base, "GET", "/api/v2.0/system/gc/schedule", { headers: adminAuth() });
    assert.equal(none.status, 200);
    assert.deepEqual(none.data.schedule, { type: "None", cron: "" });

    const daily = await call(core.base, "PUT", "/api/v2.0/system/gc/schedule", { headers: adminAuth(), body: { schedule: { type: "Daily", cron: "ignored" }, parameters: params } });
    assert.equal(daily.status, 200, JSON.stringify(daily.data));
    let got = await call(core.base, "GET", "/api/v2.0/system/gc/schedule", { headers: adminAuth() });
    assert.deepEqual(got.data.schedule, { type: "Daily", cron: "0 0 0 * * *" });
    assert.deepEqual(got.data.parameters, params);
    assert.ok(got.data.creation_time && got.data.update_time);

    const custom = await call(core.base, "PUT", "/api/v2.0/system/gc/schedule", { headers: adminAuth(), body: { schedule: { type: "Custom", cron: "0 30 2 * * 1" }, parameters: { workers: 2 } } });
    assert.equal(custom.status, 200);
    got = await call(core.base, "GET", "/api/v2.0/system/gc/schedule", { headers: adminAuth() });
    assert.deepEqual(got.data.schedule, { type: "Custom", cron: "0 30 2 * * 1" });
    assert.deepEqual(got.data.parameters, { delete_untagged: false, dry_run: false, workers: 2, time_window: 2 });

    assert.equal((await call(core.base, "PUT", "/api/v2.0/system/gc/schedule", { headers: adminAuth(), body: { schedule: { type: "Custom", cron: "0 0 * * *" } } })).status, 400);
    // Six fields of nonsense are refused at the API with the reason, and nothing is stored.
    const stored = await core.db.systemSchedule.findUniqueOrThrow({ where: { kind: "gc" } });
    const events = await core.db.outboxEvent.count();
    for (const [cron, reason] of [
      ["61 * * * * *", /expected range 0-59/],
      ["0 0 25 * * *", /expected range 0-23/],
      ["x x x x x x", /Invalid characters/],
      ["0 0 0 30 2 *", /day of month/],
      ["0 0 0 * * 9", /expected range 0-7/],
    ] as const) {
      for (const method of ["POST", "PUT"] as const) {
        const res = await call(core.base, method, "/api/v2.0/system/gc/schedule", { headers: adminAuth(), body: { schedule: { type: "Custom", cron }, parameters: params } });
        assert.equal(res.status, 400, `${method} ${cron}: ${JSON.stringify(res.data)}`);
        assert.equal(res.data.errors[0].code, "BAD_REQUEST");
        assert.match(res.data.errors[0].message, reason, cron);
      }
    }
    assert.deepEqual(await core.db.systemSchedule.findUniqueOrThrow({ where: { kind: "gc" } }), stored);
    assert.equal(await core.db.outboxEvent.count(), events);
    assert.equal((await call(core.base, "PUT", "/api/v2.0/system/gc/schedule", { headers: adminAuth(), body: { schedule: { type: "Monthly" } } })).status, 400);
    assert.equal((await call(core.base, "PUT", "/api/v2.0/system/gc/schedule", { headers: adminAuth(), body: { schedule: { type: "Daily" }, parameters: { workers: 9 } } })).status, 400);

    const off = await call(core.base, "PUT", "/api/v2.0/system/gc/schedule", { headers: adminAuth(), body: { schedule: { type: "None" } } });
    assert.equal(off.status, 200);
    got = await call(core.base, "GET", "/api/v2.0/system/gc/schedule", { headers: adminAuth() });
    assert.deepEqual(got.data.schedule, { type: "None", cron: "" });

    const changes = await core.db.outboxEvent.findMany({ where: { type: "gc.schedule.changed" }, orderBy: { id: "asc" } });
    assert.deepEqual(
      changes.map((e) => e.payload),
      [
        { kind: "gc", type: "Daily", cron: "0 0 0 * * *" },
        { kind: "gc", type: "Custom", cron: "0 30 2 * * 1" },
        { kind: "gc", type: "None", cron: "" },
      ],
    );
  });

  it("pages the history newest first with X-Total-Count and Link", async () => {
    await core.db.gcRun.updateMany({ where: { status: "Pending" }, data: { status: "Success" } });
    for (let i = 0; i < 4; i++) await core.db.gcRun.create({ data: { status: "Success", trigger: i % 2 ? "Schedule" : "Manual", dryRun: false, deleteUntagged: false, workers: 1, timeWindowHours: 2 } });
    const total = await core.db.gcRun.count();
    const first = await call(core.base, "GET", "/api/v2.0/system/gc?page=1&page_size=2", { headers: adminAuth() });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("x-total-count"), String(total));
    assert.match(first.headers.get("link") ?? "", /rel="next"/);
    assert.equal(first.data.length, 2);
    assert.ok(first.data[0].id > first.data[1].id);
    const last = await call(core.base, "GET", `/api/v2.0/system/gc?page=${Math.ceil(total / 2)}&page_size=2`, { headers: adminAuth() });
    assert.equal(last.data.length, total % 2 || 2);
    assert.match(last.headers.get("link") ?? "", /rel="prev"/);
    const all = await call(core.base, "GET", "/api/v2.0/system/gc?page_size=100", { headers: adminAuth() });
    assert.deepEqual(all.data.map((r: { id: number }) => r.id), [...all.data.map((r: { id: number }) => r.id)].sort((a: number, b: number) => b - a));
    assert.ok(all.data.some((r: { job_kind: string }) => r.job_kind === "SCHEDULE"));
  });
});
