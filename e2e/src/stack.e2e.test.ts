// The local stack as `npm start` runs it: fresh start, health, logs through the log-collector,
// two instances side by side, SIGTERM, restart on the same data, recovery after SIGKILL.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { pickFreeTcpPort, postgresBinDir } from "@berth/local-stack";
import { basicAuth, eventually, getJson } from "./support/http.js";
import { Launcher, type RecordedChild } from "./support/launcher.js";
import { isRunning, membersOfGroups, portIsFree } from "./support/processes.js";

const COMPONENTS = ["core", "database", "jobservice", "log-collector", "redis", "registry", "scanner-adapter"];
const LOG_SOURCES = ["registry", "core", "jobservice", "scanner-adapter", "log-collector", "proxy"];

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

/** What a running launcher started, to check after it stopped. */
function snapshot(launcher: Launcher): { children: RecordedChild[]; ports: Record<string, number> } {
  return { children: launcher.children(), ports: launcher.ports() };
}

async function assertNothingLeft(launcher: Launcher, started: ReturnType<typeof snapshot>): Promise<void> {
  assert.ok(started.children.length >= 8, `expected ≥ 8 recorded children, got ${JSON.stringify(started.children)}`);
  const alive = started.children.filter((c) => isRunning(c.pid));
  assert.deepEqual(alive, [], `still running after the launcher exited:\n${launcher.tail()}`);
  // nginx workers and PostgreSQL backends live in their parent's process group.
  assert.deepEqual(membersOfGroups(started.children.map((c) => c.pid)), [], "processes left in the children's process groups");
  for (const [name, port] of Object.entries(started.ports)) {
    assert.ok(await portIsFree(port, name === "syslog" ? "udp" : "tcp"), `${name} port ${port} is still bound`);
  }
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
    // A generates its admin password; B is given one.
    a = Launcher.start(dirA, portA);
    b = Launcher.start(dirB, portB, { BERTH_ADMIN_PASSWORD: passwordB });
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

  it("collects every service's and nginx's logs, for the admin only", async () => {
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

  it("stops everything on SIGTERM within 30 s", async () => {
    const started = snapshot(b);
    const { ms, code } = await b.terminate("SIGTERM");
    assert.ok(ms < 30_000, `took ${ms} ms`);
    assert.equal(code, 0, b.tail());
    await assertNothingLeft(b, started);
  });

  it("restarts on the same data directory with its data", async () => {
    psql(a, "CREATE TABLE e2e_probe (note text); INSERT INTO e2e_probe VALUES ('kept')");
    const started = snapshot(a);
    assert.equal((await a.terminate("SIGTERM")).code, 0, a.tail());
    await assertNothingLeft(a, started);

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
    const started = snapshot(a);
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
    const started = snapshot(a);
    killEverything(a);
    await a.exited;
    await eventually(async () => (started.children.some((c) => isRunning(c.pid)) ? undefined : true), 10_000, () => "children survived SIGKILL");
    assert.ok(statSync(join(dirA, "postgres", "postmaster.pid")).isFile(), "PostgreSQL left its postmaster.pid");

    const again = Launcher.start(dirA, a.httpPort);
    launchers.push(again);
    await again.ready();
    await assertHealthy(again);
    assert.equal(psql(again, "SELECT note FROM e2e_probe"), "kept");
    const restarted = snapshot(again);
    assert.equal((await again.terminate("SIGTERM")).code, 0, again.tail());
    await assertNothingLeft(again, restarted);
  });
});
