// `npm start` in a real terminal (a tmux pane), one Ctrl-C: the terminal sends SIGINT to the whole
// foreground process group and npm forwards it again; Berth must stop once, gracefully and in
// order, and exit 0. The pane also shows what a person should see: status lines, no JSON.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pickFreeTcpPort } from "@berth/local-stack";
import { assertGracefulStop, assertNothingLeft, assertStoppedCleanly, snapshot, type StackSnapshot } from "./support/graceful-stop.js";
import { eventually } from "./support/http.js";
import { repoRoot } from "./support/launcher.js";
import { registerDaemon } from "./support/daemons.js";

describe("npm start in a terminal: one Ctrl-C", { timeout: 600_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "berth-e2e-terminal-"));
  const dataDir = join(root, "data");
  // A private tmux server: nothing of the machine's own tmux is touched. Its environment is ours,
  // without any BERTH_* setting of the test run.
  const socket = `berth-e2e-${process.pid}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BERTH_")));
  const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8", env });
  /** Everything the pane shows, scrollback included, with wrapped lines joined. */
  const screen = () => tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "berth").split("\n").filter((l) => l.trim() !== "");
  let started: StackSnapshot;

  before(async () => {
    const port = await pickFreeTcpPort();
    // An interactive shell, as a person has: it runs `npm start` as its foreground job (its own
    // process group, which the terminal's Ctrl-C goes to), then says how npm exited.
    tmux("new-session", "-d", "-s", "berth", "-x", "200", "-y", "50", "-c", repoRoot, "bash --norc --noprofile -i");
    tmux("set-option", "-t", "berth", "history-limit", "20000");
    registerDaemon(Number(tmux("display-message", "-p", "-t", "berth", "#{pid}").trim()), "tmux");
    tmux("send-keys", "-t", "berth", "-l", `BERTH_DATA_DIR=${dataDir} BERTH_HTTP_PORT=${port} npm start; echo "npm-exited=$?"`);
    tmux("send-keys", "-t", "berth", "Enter");
    await eventually(
      async () => {
        const lines = screen();
        if (lines.some((l) => l.startsWith("npm-exited="))) throw new Error("npm start exited");
        return lines.some((l) => l.startsWith("Press Ctrl-C to stop.")) ? true : undefined;
      },
      300_000,
      () => `npm start did not come up:\n${screen().slice(-40).join("\n")}`,
    );
    started = snapshot(dataDir);
  });

  after(() => {
    try {
      tmux("kill-server");
    } catch {
      // already gone
    }
    rmSync(root, { recursive: true, force: true });
  });

  it("shows the launcher's status lines, not the services' JSON", () => {
    const lines = screen();
    assert.ok(lines.some((l) => l.startsWith("Berth is running at http://127.0.0.1:")), lines.join("\n"));
    assert.deepEqual(lines.filter((l) => l.startsWith("{")), [], "raw JSON lines in the terminal");
  });

  it("stops gracefully and in order on one Ctrl-C, exit 0, nothing left running", async () => {
    const since = Date.now();
    tmux("send-keys", "-t", "berth", "C-c");
    const status = await eventually(
      async () => screen().find((l) => l.startsWith("npm-exited="))?.slice("npm-exited=".length),
      60_000,
      () => `npm start still running after Ctrl-C:\n${screen().slice(-30).join("\n")}`,
    );
    const lines = screen();
    const tail = lines.slice(-30).join("\n");
    assert.equal(status, "0", tail);
    assert.equal(lines.filter((l) => l.includes("SIGINT received; stopping")).length, 1, tail);
    assertStoppedCleanly(lines);
    assert.ok(lines.some((l) => l === "[berth] stopped"), tail);
    assertGracefulStop(dataDir, since);
    await assertNothingLeft(started, () => tail);
  });
});
