import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { after, before, describe, it } from "node:test";
import { parseNginxSyslog, parseSyslogDatagram, parseSyslogHeader } from "./syslog-parser.js";
import { eventually, getJson, startCollector, type Collector } from "./testing.js";

type Entry = { time: string; service: string; level: string; message: string; [k: string]: unknown };

const received = new Date("2025-11-22T19:53:02.000Z");

// What nginx sends for `access_log syslog:server=127.0.0.1:<port> berth_json;` with the lead's
// `log_format berth_json escape=json '{…}'` (PRI 190 = local7.info; day padded with a space).
const ACCESS =
  '<190>Nov  2 19:53:01 berth-host nginx: {"time":"2025-11-02T19:53:01+00:00","remote_addr":"127.0.0.1",' +
  '"request_id":"5f2b8c0e9d1a4b7c8e3f2a1b0c9d8e7f","method":"PUT","uri":"/v2/library/alpine/manifests/3.20",' +
  '"status":201,"bytes":0,"request_time":0.012,"upstream":"127.0.0.1:5001","user_agent":"docker/27.3.1 go/go1.22.7"}';
// `error_log syslog:server=127.0.0.1:<port> warn;` (PRI 187 = local7.err, 188 = local7.warning)
const ERROR =
  '<187>Nov 22 19:53:01 berth-host nginx: 2025/11/22 19:53:01 [error] 4711#4711: *17 connect() failed ' +
  '(111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: localhost, ' +
  'request: "GET /api/v2.0/health HTTP/1.1", upstream: "http://127.0.0.1:5002/api/v2.0/health", host: "127.0.0.1:8080"';
const WARN =
  "<188>Nov 22 19:53:01 berth-host nginx: 2025/11/22 19:53:01 [warn] 4711#4711: *18 a client request body is buffered to a temporary file /var/lib/nginx/body/0000000001, client: 127.0.0.1, server: localhost, request: \"PUT /v2/x/blobs/uploads/1 HTTP/1.1\", host: \"127.0.0.1:8080\"";
const NOTICE = "<189>Nov 22 19:53:01 berth-host nginx: 2025/11/22 19:53:01 [notice] 4710#4710: signal process started";
// the default `combined` format, and `nohostname`
const PLAIN =
  '<190>Nov 22 19:53:01 nginx: 127.0.0.1 - - [22/Nov/2025:19:53:01 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/7.88.1"';

describe("syslog parsing", () => {
  it("parses nginx JSON access lines into fields with a `<method> <uri> <status>` message", () => {
    const e = parseNginxSyslog(ACCESS, received)!;
    assert.deepEqual(e, {
      time: "2025-11-02T19:53:01.000Z",
      service: "proxy",
      level: "info",
      message: "PUT /v2/library/alpine/manifests/3.20 201",
      module: "access",
      program: "nginx",
      hostname: "berth-host",
      remoteAddr: "127.0.0.1",
      requestId: "5f2b8c0e9d1a4b7c8e3f2a1b0c9d8e7f",
      method: "PUT",
      path: "/v2/library/alpine/manifests/3.20",
      status: 201,
      bytes: 0,
      durationMs: 12,
      upstream: "127.0.0.1:5001",
      userAgent: "docker/27.3.1 go/go1.22.7",
    });
  });

  it("drops empty nginx variables", () => {
    const e = parseNginxSyslog(
      '<190>Nov 22 19:53:01 h nginx: {"time":"2025-11-22T19:53:01+00:00","method":"GET","uri":"/","status":404,"upstream":"","user_agent":"-"}',
      received,
    )!;
    assert.equal(e.message, "GET / 404");
    assert.equal("upstream" in e, false);
    assert.equal("userAgent" in e, false);
  });

  it("parses nginx error lines, mapping their level and context", () => {
    const e = parseNginxSyslog(ERROR, received)!;
    assert.deepEqual(e, {
      time: received.toISOString(),
      service: "proxy",
      level: "error",
      message: "connect() failed (111: Connection refused) while connecting to upstream",
      module: "error",
      program: "nginx",
      hostname: "berth-host",
      pid: 4711,
      connection: 17,
      client: "127.0.0.1",
      server: "localhost",
      request: "GET /api/v2.0/health HTTP/1.1",
      upstream: "http://127.0.0.1:5002/api/v2.0/health",
      host: "127.0.0.1:8080",
    });
    assert.equal(parseNginxSyslog(WARN, received)!.level, "warn");
    const notice = parseNginxSyslog(NOTICE, received)!;
    assert.equal(notice.level, "info");
    assert.equal(notice.message, "signal process started");
    const debug = parseNginxSyslog("<191>Nov 22 19:53:01 h nginx: 2025/11/22 19:53:01 [debug] 1#1: *2 http cleanup", received)!;
    assert.equal(debug.level, "debug");
    const empty = parseNginxSyslog(
      '<187>Nov 22 19:53:01 h nginx: 2025/11/22 19:53:01 [error] 9#9: *2 connect() failed, client: 127.0.0.1, server: , request: "GET / HTTP/1.1"',
      received,
    )!;
    assert.equal("server" in empty, false);
    assert.equal(empty["request"], "GET / HTTP/1.1");
    const crit = parseNginxSyslog("<186>Nov 22 19:53:01 h nginx: 2025/11/22 19:53:01 [crit] 1#1: open() failed", received)!;
    assert.equal(crit.level, "error");
  });

  it("keeps non-JSON access lines as text at info, and maps bare severities", () => {
    const e = parseNginxSyslog(PLAIN, received)!;
    assert.equal(e.level, "info");
    assert.equal(e.service, "proxy");
    assert.equal(e["program"], "nginx");
    assert.equal(e.message, '127.0.0.1 - - [22/Nov/2025:19:53:01 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/7.88.1"');
    assert.equal(parseNginxSyslog("<187>Nov 22 19:53:01 h app: plain failure", received)!.level, "error");
    assert.equal(parseNginxSyslog("<188>Nov 22 19:53:01 h app: careful", received)!.level, "warn");
    assert.equal(parseNginxSyslog("<191>Nov 22 19:53:01 h app: chatter", received)!.level, "debug");
    assert.equal(parseNginxSyslog("<190>Nov 22 19:53:01 h nginx: {not json", received)!.message, "{not json");
  });

  it("parses RFC 5424 datagrams", () => {
    const h = parseSyslogHeader('<165>1 2025-11-22T19:53:01.123Z berth-host nginx 42 ID47 [ex@32473 iut="3" note="a ] b"] \uFEFFhello there')!;
    assert.equal(h.severity, 5);
    assert.equal(h.facility, 20);
    assert.equal(h.time?.toISOString(), "2025-11-22T19:53:01.123Z");
    assert.equal(h.host, "berth-host");
    assert.equal(h.tag, "nginx");
    assert.equal(h.message, "hello there");
    assert.equal(parseSyslogHeader("<14>1 - - - - - - no header fields")!.message, "no header fields");
  });

  it("refuses datagrams that are not syslog", () => {
    assert.equal(parseNginxSyslog("hello", received), undefined);
    assert.equal(parseNginxSyslog("<999>x", received), undefined);
    assert.equal(parseNginxSyslog("", received), undefined);
  });
});

describe("syslog receiver over UDP", () => {
  let c: Collector;
  before(async () => {
    c = await startCollector({ syslog: true });
  });
  after(() => c.close());

  it("stores nginx datagrams as service proxy, queryable by level and fields", async () => {
    const client = createSocket("udp4");
    const send = (line: string) =>
      new Promise<void>((resolve, reject) => client.send(line, c.syslog!.port, "127.0.0.1", (err) => (err ? reject(err) : resolve())));
    for (const line of [ACCESS, ERROR, WARN, NOTICE, PLAIN, "not syslog at all"]) await send(line);
    client.close();

    const all = await eventually(async () => {
      const res = await getJson<Entry[]>(`${c.url}/logs?service=proxy`);
      return res.body.length === 5 ? res.body : undefined;
    });
    assert.ok(all.every((e) => e.service === "proxy"));
    const access = all.find((e) => e["module"] === "access")!;
    assert.equal(access.message, "PUT /v2/library/alpine/manifests/3.20 201");
    assert.equal(access["requestId"], "5f2b8c0e9d1a4b7c8e3f2a1b0c9d8e7f");
    const warned = await getJson<Entry[]>(`${c.url}/logs?service=proxy&level=warn`);
    assert.deepEqual(warned.body.map((e) => e.level).sort(), ["error", "warn"]);
    const byRequest = await getJson<Entry[]>(`${c.url}/logs?q=5f2b8c0e9d1a4b7c`);
    assert.deepEqual(byRequest.body.map((e) => e["module"]), ["access"]);
    assert.equal(c.syslog!.ignored, 1);

    const ready = await getJson<{ components: { name: string; status: string }[] }>(`${c.url}/readyz`);
    assert.deepEqual(ready.body.components.map((x) => [x.name, x.status]), [["log-dir", "healthy"], ["syslog", "healthy"]]);
  });
});

describe("syslog from other programs (Docker's syslog logging driver in compose)", () => {
  // What Docker 20.10 sends with `syslog-format: rfc5424micro` and `tag: postgres` (stderr is err).
  const postgres = "<27>1 2026-12-03T14:19:40.760123Z vm postgres 1 postgres - 2026-12-03 14:19:40.760 UTC [504] FATAL:  database \"berth\" does not exist";
  const ready = "<27>1 2026-12-03T14:13:59.351000Z vm postgres 1 postgres - 2026-12-03 14:13:59.351 UTC [1] LOG:  database system is ready to accept connections";
  const redis = "<30>1 2026-12-03T14:19:48.909000Z vm redis 1 redis - 1:M 03 Dec 2026 14:19:48.909 * Background saving terminated with success";
  const redisWarn = "<30>1 2026-12-03T14:19:48.909000Z vm redis 1 redis - 1:M 03 Dec 2026 14:19:48.909 # WARNING Memory overcommit must be enabled!";

  it("stores each program's lines under its tag, with its own level words and the sender's time", () => {
    assert.deepEqual(parseSyslogDatagram(postgres, received), {
      time: "2026-12-03T14:19:40.760Z",
      service: "postgres",
      level: "error",
      message: '2026-12-03 14:19:40.760 UTC [504] FATAL:  database "berth" does not exist',
      hostname: "vm",
    });
    assert.equal(parseSyslogDatagram(ready, received)!.level, "info", "PostgreSQL's LOG lines are not errors though they come on stderr");
    const r = parseSyslogDatagram(redis, received)!;
    assert.equal(r.service, "redis");
    assert.equal(r.level, "info");
    assert.equal(parseSyslogDatagram(redisWarn, received)!.level, "warn");
    assert.equal(parseSyslogDatagram("<14>1 2026-12-03T14:00:00Z vm prepare 1 prepare - plain text", received)!.level, "info");
  });

  it("keeps nginx's lines (tag nginx, or none) as the proxy's", () => {
    assert.equal(parseSyslogDatagram(ACCESS, received)!.service, "proxy");
    assert.deepEqual(parseSyslogDatagram(ERROR, received), parseNginxSyslog(ERROR, received));
    assert.equal(parseSyslogDatagram("hello", received), undefined);
  });
});
