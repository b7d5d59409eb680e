import { test } from "node:test";
import assert from "node:assert/strict";
import { lineReader, terminalOutput, type ChildLine } from "./child-output.js";

test("a service's JSON line becomes one readable line with its level; it is collected by the service itself", () => {
  const read = lineReader("registry", "berth-json");
  const line = read(
    JSON.stringify({
      time: "2026-01-01T00:00:00.000Z",
      level: "error",
      service: "registry",
      module: "uploads",
      requestId: "r-1",
      message: "upload failed",
      err: { name: "Error", message: "disk full", stack: "Error: disk full\n    at x" },
    }),
  );
  assert.equal(line.level, "error");
  assert.equal(line.text, "[registry] error: upload failed (module: uploads, err: Error: disk full, requestId: r-1)");
  assert.equal(line.collected, true);
  assert.equal(read('{"level":"info","service":"registry","module":"main","message":"listening"}').text, "[registry] info: listening");
  // Multi-line errors stay on one line.
  assert.equal(
    read(JSON.stringify({ level: "warn", service: "jobservice", message: "relay waits", err: "\nInvalid `findMany()` invocation:\n\n\nCan't reach database server" })).text,
    "[jobservice] warn: relay waits (err: Invalid `findMany()` invocation: Can't reach database server)",
  );
});

test("anything else a service prints (a stack trace) is shown as an error and forwarded", () => {
  const line = lineReader("core", "berth-json")("TypeError: Cannot read properties of undefined");
  assert.deepEqual([line.level, line.text, line.collected], ["error", "[core] TypeError: Cannot read properties of undefined", false]);
});

test("PostgreSQL: severities map to levels, DETAIL and STATEMENT follow their line", () => {
  const read = lineReader("postgres", "postgres");
  const levels = [
    "2026-01-01 00:00:00.000 UTC [42] LOG:  database system is ready to accept connections",
    "2026-01-01 00:00:01.000 UTC [43] FATAL:  terminating connection due to administrator command",
    "2026-01-01 00:00:02.000 UTC [44] WARNING:  there is no transaction in progress",
    "2026-01-01 00:00:03.000 UTC [45] ERROR:  relation \"x\" does not exist at character 15",
    "2026-01-01 00:00:03.000 UTC [45] STATEMENT:  SELECT * FROM x",
    "2026-01-01 00:00:04.000 UTC [46] LOG:  database system is shut down",
    "\tcontinued",
  ].map((l) => read(l).level);
  assert.deepEqual(levels, ["info", "error", "warn", "error", "error", "info", "info"]);
  assert.equal(read("2026-01-01 00:00:04.000 UTC [46] LOG:  checkpoint starting").text, "[postgres] 2026-01-01 00:00:04.000 UTC [46] LOG:  checkpoint starting");
});

test("Redis and nginx: their own level marks", () => {
  const redis = lineReader("redis", "redis");
  assert.equal(redis("123:M 01 Jan 2026 00:00:00.000 # WARNING Memory overcommit must be enabled!").level, "warn");
  assert.equal(redis("123:M 01 Jan 2026 00:00:00.000 * DB saved on disk").level, "info");
  assert.equal(redis("123:C 01 Jan 2026 00:00:00.000 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo").level, "info");
  assert.equal(redis("123:M 01 Jan 2026 00:00:00.000 # User requested shutdown...").level, "info");
  assert.equal(redis("123:M 01 Jan 2026 00:00:00.000 # Error trying to save the DB, can't exit.").level, "warn");
  const nginx = lineReader("proxy", "nginx");
  assert.equal(nginx('nginx: [emerg] bind() to 127.0.0.1:8080 failed (98: Address already in use)').level, "error");
  assert.equal(nginx("2026/01/01 00:00:00 [warn] 7#7: conflicting server name").level, "warn");
  assert.equal(nginx("2026/01/01 00:00:00 [notice] 7#7: signal process started").level, "info");
});

test("the terminal shows warnings and errors; BERTH_ECHO_LOGS shows everything", () => {
  const lines: ChildLine[] = [
    lineReader("core", "berth-json")('{"level":"info","service":"core","message":"core listening"}'),
    lineReader("core", "berth-json")('{"level":"warn","service":"core","message":"slow"}'),
    lineReader("postgres", "postgres")("2026-01-01 00:00:00.000 UTC [1] LOG:  database system is shut down"),
    lineReader("postgres", "postgres")("2026-01-01 00:00:00.000 UTC [1] PANIC:  could not write to file"),
  ];
  const quiet: string[] = [];
  const all: string[] = [];
  const show = terminalOutput(false, (t) => quiet.push(t));
  const echo = terminalOutput(true, (t) => all.push(t));
  for (const l of lines) {
    show(l.text, l);
    echo(l.text, l);
  }
  assert.deepEqual(quiet, ["[core] warn: slow", "[postgres] 2026-01-01 00:00:00.000 UTC [1] PANIC:  could not write to file"]);
  assert.equal(all.length, 4);
  assert.ok(all.every((t) => !t.startsWith("{")), "readable, not raw JSON");
});
