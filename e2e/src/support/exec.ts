// Runs a client command line and keeps its output (never throws on a non-zero exit).
import { spawn } from "node:child_process";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command line and its output, for assertion messages. */
  describe: string;
}

export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: Buffer | string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 180_000);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      resolve({ code, stdout, stderr, describe: `$ ${command} ${args.join(" ")}\n→ exit ${code}\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}` });
    });
    // A command that exits without reading its input (e.g. `docker exec` on a container that
    // just died) must not turn the write into an uncaught EPIPE.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/** Like run(), failing unless the command exits 0. */
export async function runOk(command: string, args: string[], options: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const r = await run(command, args, options);
  if (r.code !== 0) throw new Error(`command failed:\n${r.describe}`);
  return r;
}

/**
 * Runs every clean-up step, in order, also when an earlier one fails (a failed container removal
 * must not leave an interface or a folder behind); then throws the first failure, if any.
 */
export async function cleanUpAll(...steps: (() => unknown)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw failures[0];
}
