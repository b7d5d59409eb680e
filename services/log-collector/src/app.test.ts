import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { getJson, postJson, startCollector, type Collector } from "./testing.js";

type Entry = { time: string; service: string; level: string; message: string; [k: string]: unknown };

describe("collector HTTP API", () => {
  let c: Collector;
  const base = Date.parse("2025-06-01T10:00:00Z");
  const at = (minutes: number) => new Date(base + minutes * 60_000).toISOString();

  before(async () => {
    c = await startCollector();
    const res = await postJson(`${c.url}/ingest`, [
      { time: at(0), service: "core", level: "info", message: "core started", module: "main" },
      { time: at(1), service: "registry", level: "warn", message: "slow blob upload", requestId: "r-1" },
      { time: at(2), service: "core", level: "error", message: "database gone", err: { name: "Error", message: "ECONNREFUSED" } },
      { time: at(3), service: "core", level: "debug", message: "cache miss" },
      { time: at(4), service: "Job_Service", level: "http", message: "GET /jobs 200" },
      { time: at(5), service: "registry", level: "info", message: 'said "Hello" to the client' },
    ]);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { accepted: 6 });
  });
  after(() => c.close());

  const logs = async (qs: string) => {
    const res = await getJson<Entry[]>(`${c.url}/logs${qs}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  it("answers every entry newest first with its fields", async () => {
    const all = await logs("");
    assert.deepEqual(
      all.map((e) => e.message),
      ['said "Hello" to the client', "GET /jobs 200", "cache miss", "database gone", "slow blob upload", "core started"],
    );
    const err = all.find((e) => e.message === "database gone")!;
    assert.deepEqual(err, { time: at(2), service: "core", level: "error", message: "database gone", err: { name: "Error", message: "ECONNREFUSED" } });
    assert.equal(all.find((e) => e.message === "slow blob upload")!["requestId"], "r-1");
  });

  it("sanitises service names", async () => {
    const jobs = await logs("?service=job-service");
    assert.deepEqual(jobs.map((e) => e.service), ["job-service"]);
  });

  it("filters by service (repeated or comma-separated)", async () => {
    assert.deepEqual(new Set((await logs("?service=core")).map((e) => e.service)), new Set(["core"]));
    assert.equal((await logs("?service=core&service=registry")).length, 5);
    assert.equal((await logs("?service=core,registry")).length, 5);
    assert.deepEqual(await logs("?service=nope"), []);
  });

  it("treats level as a minimum severity", async () => {
    assert.deepEqual((await logs("?level=warn")).map((e) => e.level), ["error", "warn"]);
    assert.deepEqual((await logs("?level=error")).map((e) => e.message), ["database gone"]);
    assert.equal((await logs("?level=info")).length, 4);
    assert.equal((await logs("?level=http")).length, 5);
    assert.equal((await logs("?level=silly")).length, 6);
  });

  it("filters by since and until (inclusive, any offset)", async () => {
    assert.deepEqual((await logs(`?since=${at(4)}`)).map((e) => e.time), [at(5), at(4)]);
    assert.deepEqual((await logs(`?until=${at(1)}`)).map((e) => e.time), [at(1), at(0)]);
    assert.deepEqual((await logs(`?since=${at(1)}&until=${at(2)}`)).map((e) => e.time), [at(2), at(1)]);
    // 2025-06-01T12:02:00+02:00 is 10:02Z
    assert.deepEqual((await logs(`?since=${encodeURIComponent("2025-06-01T12:02:00+02:00")}&until=${at(2)}`)).map((e) => e.time), [at(2)]);
  });

  it("matches q case-insensitively in the message or the JSON line", async () => {
    assert.deepEqual((await logs("?q=DATABASE")).map((e) => e.message), ["database gone"]);
    assert.deepEqual((await logs("?q=econnrefused")).map((e) => e.message), ["database gone"]); // a field
    assert.deepEqual((await logs("?q=r-1")).map((e) => e.message), ["slow blob upload"]);
    assert.deepEqual((await logs(`?q=${encodeURIComponent('"hello"')}`)).map((e) => e.service), ["registry"]); // escaped in the line
    assert.deepEqual(await logs("?q=nothing-like-this"), []);
  });

  it("applies limit to the newest entries", async () => {
    assert.deepEqual((await logs("?limit=2")).map((e) => e.time), [at(5), at(4)]);
    assert.equal((await logs("?limit=5000")).length, 6); // clamped to 1000
  });

  it("combines filters", async () => {
    assert.deepEqual((await logs(`?service=core&level=info&since=${at(0)}&q=o&limit=1`)).map((e) => e.message), ["database gone"]);
  });

  it("lists services", async () => {
    const res = await getJson<{ service: string; files: number }[]>(`${c.url}/services`);
    assert.deepEqual(res.body.map((s) => s.service), ["core", "job-service", "registry"]);
    assert.ok(res.body.every((s) => s.files === 1));
  });

  it("answers 400 with a clear message for malformed query parameters", async () => {
    for (const qs of [
      "?since=yesterday",
      "?since=2025-06-01",
      "?until=2025-06-01T10:00:00",
      "?since=2025-02-30T00:00:00Z",
      "?since=2025-06-01T25:00:00Z",
      `?since=${at(5)}&until=${at(1)}`,
      "?since=a&since=b",
      "?level=loud",
      "?limit=0",
      "?limit=-3",
      "?limit=ten",
      "?limit=1.5",
      `?q=${"x".repeat(2000)}`,
    ]) {
      const res = await getJson<{ errors: { code: string; message: string }[] }>(`${c.url}/logs${qs}`);
      assert.equal(res.status, 400, qs);
      assert.equal(res.body.errors[0]!.code, "BAD_REQUEST", qs);
    }
    const res = await getJson<{ errors: { message: string }[] }>(`${c.url}/logs?since=yesterday`);
    assert.match(res.body.errors[0]!.message, /since.*RFC 3339/);
  });

  it("refuses garbage on /ingest with 400, never 500, and stores nothing from it", async () => {
    const before = (await logs("?limit=1000")).length;
    const cases: unknown[] = [
      "not json",
      "{",
      "",
      "{}",
      "42",
      "null",
      '"a string"',
      [1, 2],
      [null],
      [[]],
      [{ message: "no service" }],
      [{ service: 42, message: "x" }],
      [{ service: "!!!", message: "x" }],
      [{ service: "core", message: "x", time: "not a time" }],
      [{ service: "core", message: "x", time: { y: 1 } }],
      [{ service: "core", message: "x", level: "loud" }],
      [{ service: "core", message: "x", level: 3 }],
      [{ service: "core", message: "ok" }, { service: "core", level: "bogus" }],
    ];
    for (const body of cases) {
      const res = await postJson(`${c.url}/ingest`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal((res.body as { errors: { code: string }[] }).errors[0]!.code, "BAD_REQUEST");
    }
    assert.equal((await logs("?limit=1000")).length, before);
  });

  it("answers 413 for a body over the limit", async () => {
    const big = [{ service: "core", message: "x".repeat(6 * 1024 * 1024) }];
    const res = await postJson(`${c.url}/ingest`, big);
    assert.equal(res.status, 413);
  });

  it("fills in missing time, level and message and maps other loggers' level names", async () => {
    const res = await postJson(`${c.url}/ingest`, [
      { service: "defaults" },
      { service: "defaults", level: "WARNING", message: { structured: true } },
      { service: "defaults", level: "fatal", message: "boom", timestamp: at(10) },
    ]);
    assert.equal(res.status, 200);
    const got = await logs("?service=defaults");
    // the two without a time got the time of arrival, so they are newer than `boom`
    assert.deepEqual(got.map((e) => [e.level, e.message]), [
      ["warn", '{"structured":true}'],
      ["info", ""],
      ["error", "boom"],
    ]);
    assert.equal(got[2]!.time, at(10));
    assert.ok(Date.now() - Date.parse(got[1]!.time) < 60_000);
  });

  it("answers 404 for unknown routes and serves liveness and readiness", async () => {
    assert.equal((await getJson(`${c.url}/nope`)).status, 404);
    assert.deepEqual((await getJson(`${c.url}/livez`)).body, { status: "healthy" });
    const ready = await getJson<{ status: string; components: { name: string }[] }>(`${c.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.components.map((x) => x.name), ["log-dir"]);
  });
});
