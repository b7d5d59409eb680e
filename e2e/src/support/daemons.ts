// Daemons a test file starts in their own process group (dockerd, `npm start`) outlive the file
// when it is killed — by Ctrl-C of `npm test`, or by the runner cutting a hang — before its
// `after` hooks run. Each is recorded in the e2e tier's run directory (BERTH_E2E_RUN_DIR) while it
// runs; the runner stops every group still recorded when the tier ends (scripts/test.mjs).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = (): string | undefined => {
  const runDir = process.env["BERTH_E2E_RUN_DIR"];
  return runDir ? join(runDir, "daemons") : undefined;
};

/** Records the group led by `pid`; `command` is what its command line contains (checked before signalling it). */
export function registerDaemon(pid: number | undefined, command: string): void {
  const d = dir();
  if (!d || pid === undefined) return;
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, String(pid)), command);
}

/** Forgets `pid` once its owner stopped it. */
export function unregisterDaemon(pid: number | undefined): void {
  const d = dir();
  if (d && pid !== undefined) rmSync(join(d, String(pid)), { force: true });
}
