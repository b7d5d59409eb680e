// `npm start`'s default restart policy, as container runtimes apply theirs: kill -9 of a service —
// or of PostgreSQL, Redis, nginx — and it comes back; pushes and pulls with a real client work
// again. A crash loop gives up and stops the whole stack with a clear message.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pickFreeTcpPort } from "@berth/local-stack";
import { assertNothingLeft, snapshot } from "./support/graceful-stop.js";
import { eventually, getJson } from "./support/http.js";
import { ociImageLayout } from "./support/images.js";
import { Launcher } from "./support/launcher.js";
import { isRunning } from "./support/processes.js";
import { Skopeo } from "./support/skopeo.js";

const PASSWORD = "Restart-Policy-Passw0rd";
const SERVICES = /^\[(core|registry|jobservice|scanner-adapter|log-collector)\] (warn|error): /;

describe("restart policy (the default): kill -9 and the stack heals; a crash loop stops it", { timeout: 600_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "berth-e2e-restart-"));
  const dataDir = join(root, "data");
  const skopeo = new Skopeo();
  let launcher: Launcher;
  let round = 0;

  before(async () => {
    // No BERTH_RESTART_CHILDREN: restarting is what happens by default.
    launcher = Launcher.start(dataDir, await pickFreeTcpPort(), { BERTH_ADMIN_PASSWORD: PASSWORD });
    await launcher.ready();
  });

  after(() => {
    if (launcher.process.exitCode === null && launcher.process.signalCode === null) {
      for (const c of launcher.children()) {
        try {
          process.kill(-c.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      launcher.process.kill("SIGKILL");
    }
    skopeo.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  const pidOf = (name: string) => launcher.children().find((c) => c.name === name)?.pid;

  /**
   * kill -9 `name`; resolves with its new PID once the launcher says it restarted it and the
   * stack is healthy again.
   */
  async function killAndAwaitRestart(name: string): Promise<number> {
    const pid = pidOf(name);
    assert.ok(pid, `pids.json names ${name}`);
    process.kill(pid, "SIGKILL");
    return eventually(
      async () => {
        const now = pidOf(name);
        if (now === undefined || now === pid || !launcher.output.includes(`[berth] ${name} restarted (PID ${now})`)) return undefined;
        const { status } = await getJson(`${launcher.baseUrl}/api/v2.0/health`);
        return status === 200 ? now : undefined;
      },
      120_000,
      () => `${name} did not come back:\n${launcher.tail()}`,
    );
  }

  /** A push and a pull through the front door with skopeo, as a person would check. */
  async function pushAndPull(): Promise<void> {
    round++;
    const layout = join(root, `image-${round}`);
    ociImageLayout(layout, "latest");
    const ref = `docker://127.0.0.1:${launcher.httpPort}/library/heal:${round}`;
    const creds = `admin:${PASSWORD}`;
    // A client retries what failed while a process came back; so may this check, a few times.
    const attempt = async (what: string, run: () => ReturnType<Skopeo["copy"]>) => {
      let last = "";
      for (let i = 0; i < 5; i++) {
        const r = await run();
        if (r.code === 0) return;
        last = r.describe;
        await new Promise((res) => setTimeout(res, 2_000));
      }
      assert.fail(`${what} failed:\n${last}\n${launcher.tail()}`);
    };
    await attempt("push", () => skopeo.copy(`oci:${layout}:latest`, ref, { destCreds: creds }));
    await attempt("pull", () => skopeo.copy(ref, `oci:${join(root, `pulled-${round}`)}:x`, { srcCreds: creds }));
  }

  for (const name of ["registry", "core"]) {
    it(`kill -9 of ${name}: it is restarted and pushes and pulls work again`, async () => {
      await pushAndPull();
      const before = pidOf(name)!;
      await killAndAwaitRestart(name);
      assert.ok(
        launcher.output.some((l) => l.startsWith(`[berth] ${name} stopped unexpectedly (signal SIGKILL); restarting it in `) && l.includes(`ms (it was PID ${before})`)),
        launcher.tail(),
      );
      await pushAndPull();
    });
  }

  // PostgreSQL, Redis and nginx are restarted under the same policy (docs/local-stack.md).
  for (const name of ["postgres", "redis", "proxy"]) {
    it(`kill -9 of ${name === "proxy" ? "nginx" : name === "postgres" ? "PostgreSQL" : "Redis"}: it is restarted and pushes and pulls work again`, async () => {
      await killAndAwaitRestart(name);
      await pushAndPull();
    });
  }

  it("shows the services' warnings about it in the terminal, readable; never raw JSON", () => {
    // Losing Redis and PostgreSQL above made the services say so.
    assert.ok(launcher.output.some((l) => SERVICES.test(l)), launcher.tail(80));
    assert.deepEqual(launcher.output.filter((l) => l.startsWith("{")), []);
  });

  it("a crash loop gives up and stops Berth with a clear message (exit 1, nothing left running)", async () => {
    const started = snapshot(dataDir);
    let kills = 0;
    let pid = pidOf("registry");
    // Kill the registry each time it comes back, until the launcher gives up.
    while (launcher.process.exitCode === null && kills < 8) {
      assert.ok(pid && isRunning(pid), `the registry runs (kill ${kills})`);
      process.kill(pid, "SIGKILL");
      kills++;
      const previous = pid;
      if (pid) started.children.push({ name: "registry", pid });
      pid = await eventually(
        async () => {
          if (launcher.process.exitCode !== null) return 0;
          const now = pidOf("registry");
          return now !== undefined && now !== previous && (await getJson(`${launcher.baseUrl}/v2/`)).status === 401 ? now : undefined;
        },
        120_000,
        () => `neither restarted nor given up after kill ${kills}:\n${launcher.tail()}`,
      );
    }
    const exit = await launcher.exited;
    assert.equal(exit.code, 1, launcher.tail());
    assert.ok(kills <= 5, `gave up only after ${kills} kills`);
    assert.ok(
      launcher.output.some((l) => /^\[berth\] registry crashed \d+ times in a row, each time within 60 s of starting \(signal SIGKILL\); giving up; stopping Berth/.test(l)),
      launcher.tail(),
    );
    assert.match(launcher.output.at(-1) ?? "", /^\[berth\] stopped because registry crashed \d+ times in a row/);
    await assertNothingLeft(started, () => launcher.tail());
  });
});
