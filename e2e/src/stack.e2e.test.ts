// The local stack as `npm start` runs it: fresh start, health, logs through the log-collector,
// two instances side by side, what the terminal shows, one graceful stop however the signal
// comes (Ctrl-C to npm's process group, SIGTERM to the launcher, SIGTERM to every process as
// `docker stop`/systemd deliver it), restart on the same data, recovery after SIGKILL.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { globSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:http";
import { connect } from "node:net";
import { pickFreeTcpPort, postgresBinDir } from "@berth/local-stack";
import { basicAuth, eventually, getJson } from "./support/http.js";
import { assertGracefulStop, assertNothingLeft, assertStoppedCleanly, processTree, snapshot } from "./support/graceful-stop.js";
import { Launcher, type RecordedChild } from "./support/launcher.js";
import { isRunning, membersOfGroups } from "./support/processes.js";

const COMPONENTS = ["core", "database", "jobservice", "log-collector", "redis", "registry", "scanner-adapter"];
// The services send their own lines; the launcher sends PostgreSQL's, Redis's and its own.
const LOG_SOURCES = ["registry", "core", "jobservice", "scanner-adapter", "log-collector", "proxy", "postgres", "redis", "launcher"];

interface HealthBody {
  status: string;
  components: { name: string; status: string }[];
}

async function assertHealthy(launcher: Launcher): Promise<void> {
  const { status, body } = await getJson(`${launcher.baseUrl}/api/v2.0/health`);
  assert.equal(status, 200, `health of ${launcher.baseUrl}: ${JSON.stringify(body)}`);
  const health = body as HealthBody;
  assert.equal(health.status, "healthy");
  assert.deepEqual(health.components.map((c) => c.name).sort(), COMPONENTS);
  for (const c of health.components) assert.equal(c.status, "healthy", `${c.name}: ${JSON.stringify(c)}`);
}

function psql(launcher: Launcher, sql: string): string {
  return execFileSync(
    join(postgresBinDir(), "psql"),
    ["-h", "127.0.0.1", "-p", String(launcher.ports()["postgres"]), "-U", "berth", "-d", "berth", "-tAq", "-v", "ON_ERROR_STOP=1", "-c", sql],
    { encoding: "utf8" },
  ).trim();
}

function killEverything(launcher: Launcher): void {
  let children: RecordedChild[] = [];
  try {
    children = launcher.children();
  } catch {
    // not started far enough to record any
  }
  try {
    process.kill(launcher.pid, "SIGKILL");
  } catch {
    // already gone
  }
  for (const c of children) {
    try {
      process.kill(-c.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

const UPLOAD_CHUNKS = 10;
const UPLOAD_BYTES = UPLOAD_CHUNKS * 64 * 1024;

/**
 * Starts a blob upload whose PATCH body trickles in over about a second; resolves once the
 * first chunk is sent, with the answer to come.
 */
async function startSlowUpload(baseUrl: string, password: string, dataDir: string): Promise<{ answer: Promise<{ status: number | undefined; range: string | undefined }> }> {
  const token = await getJson(`${baseUrl}/service/token?service=berth-registry&scope=repository:library/drain:pull,push`, basicAuth("admin", password));
  assert.equal(token.status, 200, JSON.stringify(token.body));
  const auth = { authorization: `Bearer ${(token.body as { token: string }).token}` };
  const start = await fetch(`${baseUrl}/v2/library/drain/blobs/uploads/`, { method: "POST", headers: auth });
  assert.equal(start.status, 202, await start.text());
  const location = new URL(start.headers.get("location")!, baseUrl);
  let firstSent!: () => void;
  const sent = new Promise<void>((resolve) => (firstSent = resolve));
  const answer = new Promise<{ status: number | undefined; range: string | undefined }>((resolve) => {
    const req = request(location, { method: "PATCH", headers: { ...auth, "content-type": "application/octet-stream" } });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, range: res.headers["range"] }));
    });
    req.on("error", () => resolve({ status: undefined, range: undefined }));
    void (async () => {
      for (let i = 0; i < UPLOAD_CHUNKS; i++) {
        req.write(Buffer.alloc(64 * 1024, i));
        if (i === 0) firstSent();
        await new Promise((r) => setTimeout(r, 200));
      }
      req.end();
    })();
  });
  await sent;
  // In flight means the registry is storing its bytes: written to the socket is not enough (a
  // connection nginx has not read from yet is idle to it, and a graceful stop closes idle ones).
  await eventually(
    async () => (globSync(join(dataDir, "registry", "uploads", "*", "data")).some((f) => statSync(f).size > 0) ? true : undefined),
    20_000,
    () => "the upload's first bytes never reached the registry's storage",
  );
  return { answer };
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("npm start: the local stack", { timeout: 600_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "berth-e2e-stack-"));
  const dirA = join(root, "a");
  const dirB = join(root, "b");
  const passwordB = "E2e-Berth-Passw0rd";
  const launchers: Launcher[] = [];
  let a: Launcher;
  let b: Launcher;
  let passwordA: string;

  before(async () => {
    const [portA, portB] = [await pickFreeTcpPort(), await pickFreeTcpPort()];
    // A generates its admin password; B is given one and runs as `npm start` in its own
    // process group, as a terminal's foreground job.
    a = Launcher.start(dirA, portA);
    b = Launcher.startNpm(dirB, portB, { BERTH_ADMIN_PASSWORD: passwordB });
    launchers.push(a, b);
    const [printedA, printedB] = await Promise.all([a.ready(), b.ready()]);
    passwordA = printedA;
    assert.equal(printedB, passwordB);
  });

  after(() => {
    for (const l of launchers) if (l.process.exitCode === null && l.process.signalCode === null) killEverything(l);
    rmSync(root, { recursive: true, force: true });
  });

  it("comes up healthy from fresh data directories, two instances side by side", async () => {
    await Promise.all([assertHealthy(a), assertHealthy(b)]);
    const portsA = Object.values(a.ports());
    const portsB = Object.values(b.ports());
    assert.equal(new Set([...portsA, ...portsB]).size, portsA.length + portsB.length, "the instances share a port");
  });

  it("keeps internal ports off public interfaces", async () => {
    const publicAddresses = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && i.family === "IPv4" && !i.internal)
      .map((i) => i!.address);
    for (const address of publicAddresses) {
      for (const [name, port] of Object.entries(a.ports())) {
        if (name === "syslog") continue;
        assert.equal(await canConnect(address, port), false, `${name} answers on ${address}:${port}`);
      }
    }
  });

  it("generates the admin password once and keeps it in secrets/admin-password (0600)", () => {
    const file = join(dirA, "secrets", "admin-password");
    assert.equal(readFileSync(file, "utf8").trim(), passwordA);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(passwordA.length >= 16 && /[A-Z]/.test(passwordA) && /[a-z]/.test(passwordA) && /\d/.test(passwordA));
  });

  it("collects every service's, nginx's, PostgreSQL's, Redis's and the launcher's logs, for the admin only", async () => {
    const url = `${a.baseUrl}/api/v2.0/system/logs`;
    assert.equal((await getJson(url)).status, 401);
    const auth = basicAuth("admin", passwordA);
    for (const service of LOG_SOURCES) {
      await eventually(
        async () => {
          const { status, body } = await getJson(`${url}?service=${service}&limit=5`, auth);
          return status === 200 && Array.isArray(body) && body.length > 0 && body.every((e) => (e as { service: string }).service === service)
            ? true
            : undefined;
        },
        60_000,
        () => `no log lines from ${service}`,
      );
    }
  });

  it("shows the launcher's status lines in the terminal, not the services' JSON or info lines", () => {
    for (const launcher of [a, b]) {
      const output = launcher.output;
      assert.deepEqual(output.filter((l) => l.startsWith("{")), [], "raw JSON lines in the terminal");
      assert.ok(output.includes("[berth] starting core"), launcher.tail());
      // Info lines are in the log-collector (checked above); the terminal has warnings and errors only.
      assert.deepEqual(output.filter((l) => /^\[(core|registry|jobservice|scanner-adapter|log-collector)\] info: /.test(l)), []);
    }
  });

  it("stops gracefully and in order on one Ctrl-C to npm start's process group (npm forwards it: two copies)", async () => {
    const started = snapshot(dirB);
    // An upload in flight when Ctrl-C comes: nginx and the registry let it finish.
    const upload = await startSlowUpload(b.baseUrl, passwordB, dirB);
    const since = Date.now();
    b.signalGroup("SIGINT");
    const answer = await upload.answer;
    const exit = await b.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, b.tail());
    assert.deepEqual(answer, { status: 202, range: `0-${UPLOAD_BYTES - 1}` }, "the upload in flight was answered in full");
    assert.equal(b.output.filter((l) => l.includes("SIGINT received; stopping")).length, 1, b.tail());
    assertStoppedCleanly(b.output);
    assert.ok(b.output.includes("[berth] stopped"), b.tail());
    // PostgreSQL's last lines reached the log-collector: it stopped after PostgreSQL.
    assertGracefulStop(dirB, since);
    await assertNothingLeft(started, () => b.tail());
  });

  it("restarts on the same data directory with its data", async () => {
    psql(a, "CREATE TABLE e2e_probe (note text); INSERT INTO e2e_probe VALUES ('kept')");
    const started = snapshot(dirA);
    const since = Date.now();
    const { ms, code } = await a.terminate("SIGTERM");
    assert.ok(ms < 30_000, `took ${ms} ms`);
    assert.equal(code, 0, a.tail());
    assertStoppedCleanly(a.output);
    assertGracefulStop(dirA, since);
    await assertNothingLeft(started, () => a.tail());

    const again = Launcher.start(dirA, a.httpPort);
    launchers.push(again);
    assert.equal(await again.ready(), passwordA, "the kept admin password is reused");
    await assertHealthy(again);
    assert.equal(psql(again, "SELECT note FROM e2e_probe"), "kept");
    const logs = await getJson(`${again.baseUrl}/api/v2.0/system/logs?limit=1`, basicAuth("admin", passwordA));
    assert.equal(logs.status, 200, "the first start's admin password still works");
    a = again;
  });

  it("leaves nothing behind when the launcher itself is killed with SIGKILL", async () => {
    const started = snapshot(dirA);
    process.kill(a.pid, "SIGKILL");
    await a.exited;
    // Each child has a parent-death signal: they stop on their own.
    await eventually(
      async () => (started.children.some((c) => isRunning(c.pid)) || membersOfGroups(started.children.map((c) => c.pid)).length ? undefined : true),
      30_000,
      () => `still running: ${started.children.filter((c) => isRunning(c.pid)).map((c) => c.name).join(", ")}`,
    );
    const again = Launcher.start(dirA, a.httpPort);
    launchers.push(again);
    await again.ready();
    await assertHealthy(again);
    a = again;
  });

  it("recovers from stale pid files after everything was killed with SIGKILL", async () => {
    const started = snapshot(dirA);
    killEverything(a);
    await a.exited;
    await eventually(async () => (started.children.some((c) => isRunning(c.pid)) ? undefined : true), 10_000, () => "children survived SIGKILL");
    assert.ok(statSync(join(dirA, "postgres", "postmaster.pid")).isFile(), "PostgreSQL left its postmaster.pid");

    // This time with every log line echoed to the terminal.
    const again = Launcher.start(dirA, a.httpPort, { BERTH_ECHO_LOGS: "1" });
    launchers.push(again);
    await again.ready();
    await assertHealthy(again);
    assert.equal(psql(again, "SELECT note FROM e2e_probe"), "kept");
    a = again;
  });

  it("BERTH_ECHO_LOGS=1 echoes the services' info lines too, readable", () => {
    assert.ok(a.output.some((l) => /^\[core\] info: core listening on /.test(l)), a.tail());
    assert.deepEqual(a.output.filter((l) => l.startsWith("{")), [], "raw JSON lines in the terminal");
  });

  it("stops gracefully and in order when every process gets SIGTERM at once (docker stop, systemd's control-group kill)", async () => {
    const started = snapshot(dirA);
    const everyone = processTree(a.pid);
    assert.ok(everyone.length >= started.children.length + 1, `the launcher's process tree: ${everyone.join(", ")}`);
    const since = Date.now();
    for (const pid of everyone) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // a short-lived process (a PostgreSQL backend) ended since we listed it
      }
    }
    const exit = await a.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, a.tail());
    // Every service drained and exited 0 although it got SIGTERM twice (from the kill and from the launcher).
    assertStoppedCleanly(a.output);
    // The log-collector got SIGTERM too and stopped first: PostgreSQL's last lines are in the (echoed) terminal.
    assertGracefulStop(dirA, since, a.output);
    await assertNothingLeft(started, () => a.tail());
  });
});
