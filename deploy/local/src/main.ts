// `npm start`: runs the whole suite in the foreground until Ctrl-C (see docs/local-stack.md).
import { fileURLToPath } from "node:url";
import { CONFIG_ERROR_EXIT_CODE, ConfigError, loadConfigOrExit } from "@berth/config";
import { trustInstructions } from "@berth/tls";
import { handleStopSignals } from "@berth/http";
import { terminalOutput } from "./child-output.js";
import { loadLocalConfig } from "./config.js";
import { LocalStack, type RunningStack } from "./stack.js";

const say = (line: string) => process.stdout.write(`[berth] ${line}\n`);
// EPIPE when whoever reads our output goes away: keep running (and stopping) regardless.
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});

const config = loadConfigOrExit("berth", () => loadLocalConfig(process.env, process.cwd()));

const stack = new LocalStack({
  ...config,
  repoRoot: fileURLToPath(new URL("../../../", import.meta.url)),
  log: say,
  output: terminalOutput(config.echoLogs),
});

// One Ctrl-C reaches us twice (the terminal signals npm's whole group, and npm forwards it);
// supervisors signal every process at once: however many copies arrive, it is one ordered stop.
let signalled = false;
handleStopSignals({
  signals: ["SIGINT", "SIGTERM", "SIGHUP"],
  onStop: (signal) => {
    signalled = true;
    say(`${signal} received; stopping (press Ctrl-C again to kill at once)`);
    void stack.stop();
  },
  onForce: (signal) => {
    say(`${signal} again: killing every process now`);
    stack.killNow();
    process.exit(130);
  },
});

// A bug in the launcher must not leave the children running.
let crashed = false;
function onLauncherCrash(err: unknown): void {
  if (crashed) return;
  crashed = true;
  say(`launcher error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}; stopping everything`);
  const deadline = setTimeout(() => process.exit(1), 30_000);
  deadline.unref();
  void stack.stop().finally(() => process.exit(1));
}
process.on("uncaughtException", onLauncherCrash);
process.on("unhandledRejection", onLauncherCrash);
process.on("exit", () => stack.killNow());

let running: RunningStack;
try {
  running = await stack.start();
} catch (err) {
  // A setting found wrong once read (a certificate that cannot be served): a setting, not a crash.
  if (err instanceof ConfigError && !signalled) {
    process.stderr.write(`berth: ${err.message}\n`);
    process.exit(CONFIG_ERROR_EXIT_CODE);
  }
  say(signalled ? "stopped before start-up finished" : `could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(signalled ? 0 : 1);
}

const { admin, tls } = running;
const kept =
  admin.source === "env" ? "(from BERTH_ADMIN_PASSWORD)" : `(kept in ${admin.file}${admin.source === "generated" ? ", generated now" : ""})`;
process.stdout.write(
  [
    "",
    `Berth is running at ${running.urls.frontDoor}${tls ? ` (plain HTTP on port ${running.ports.http} redirects there)` : ""}`,
    ...(running.urls.external !== running.urls.frontDoor ? [`  external URL:   ${running.urls.external}`] : []),
    `  admin user:     ${admin.username}`,
    `  admin password: ${admin.password}   ${kept}`,
    `  data:           ${running.dataDir}`,
    ...(tls?.caFile ? ["", ...trustInstructions({ externalUrl: running.urls.external, caFile: tls.caFile })] : []),
    "Press Ctrl-C to stop.",
    "",
  ].join("\n"),
);

const exit = await running.exited;
if (exit.reason === "crashed") {
  say(`stopped because ${exit.message ?? `${exit.child} stopped unexpectedly`}`);
  process.exit(1);
}
say("stopped");
process.exit(0);
