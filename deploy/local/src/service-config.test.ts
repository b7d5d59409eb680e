// Every process the launcher runs refuses a wrong BERTH_* value the same way: every problem on
// stderr under its name, exit 2 (a setting, not a crash: the restart policy cannot help), and no
// stack trace. Each service's real entry point is run, as the launcher runs it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { CONFIG_ERROR_EXIT_CODE } from "@berth/config";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** A complete, valid wiring for the services that need one (nothing listens there: they must stop before connecting). */
const WIRING = {
  BERTH_PORT: "18080",
  BERTH_DATABASE_URL: "postgresql://berth@127.0.0.1:1/berth",
  BERTH_REDIS_URL: "redis://127.0.0.1:1",
  BERTH_ADMIN_PASSWORD: "Config-Test-Passw0rd",
  BERTH_EXTERNAL_URL: "http://127.0.0.1:18080",
  BERTH_REGISTRY_URL: "http://127.0.0.1:1",
  BERTH_JOBSERVICE_URL: "http://127.0.0.1:1",
  BERTH_SCANNER_ADAPTER_URL: "http://127.0.0.1:1",
  BERTH_LOG_COLLECTOR_URL: "http://127.0.0.1:1",
  BERTH_LOG_DIR: "/nonexistent/berth-config-test",
};

interface Case {
  name: string;
  main: string;
  env: Record<string, string>;
  /** Every variable the message must name. */
  named: string[];
}

const service = (name: string) => join(repoRoot, "services", name, "dist", "main.js");

const CASES: Case[] = [
  { name: "core", main: service("core"), env: { BERTH_PORT: "http", BERTH_TOKEN_EXPIRATION_MINUTES: "-5" }, named: ["BERTH_PORT", "BERTH_TOKEN_EXPIRATION_MINUTES"] },
  // Core's storage settings (the registry's) are checked at start too, not when first used, and
  // reported together with its own.
  { name: "core", main: service("core"), env: { BERTH_SESSION_TIMEOUT_MINUTES: "never", BERTH_STORAGE_DRIVER: "ftp" }, named: ["BERTH_SESSION_TIMEOUT_MINUTES", "BERTH_STORAGE_DRIVER"] },
  { name: "registry", main: service("registry"), env: { BERTH_LOG_LEVEL: "loud", BERTH_STORAGE_DRIVER: "ftp" }, named: ["BERTH_LOG_LEVEL", "BERTH_STORAGE_DRIVER"] },
  { name: "jobservice", main: service("jobservice"), env: { BERTH_PORT: "99999", BERTH_RELAY_POLL_MS: "fast", BERTH_STORAGE_DRIVER: "ftp" }, named: ["BERTH_PORT", "BERTH_RELAY_POLL_MS", "BERTH_STORAGE_DRIVER"] },
  { name: "scanner-adapter", main: service("scanner-adapter"), env: { BERTH_DATABASE_URL: "mysql://x", BERTH_REDIS_URL: "memcached://x" }, named: ["BERTH_DATABASE_URL", "BERTH_REDIS_URL"] },
  { name: "log-collector", main: service("log-collector"), env: { BERTH_LOG_ROTATE_SIZE: "big", BERTH_LOG_MAX_FILES: "0" }, named: ["BERTH_LOG_ROTATE_SIZE", "BERTH_LOG_MAX_FILES"] },
  { name: "berth", main: join(repoRoot, "deploy", "local", "dist", "main.js"), env: { BERTH_HTTP_PORT: "eighty", BERTH_RESTART_CHILDREN: "maybe" }, named: ["BERTH_HTTP_PORT", "BERTH_RESTART_CHILDREN"] },
];

async function run(main: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BERTH_")));
  const child = spawn(process.execPath, [main], { cwd: repoRoot, env: { ...clean, ...WIRING, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const [code] = (await once(child, "close")) as [number | null];
  clearTimeout(killer);
  return { code, stdout, stderr };
}

for (const c of CASES) {
  test(`${c.name}: ${c.named.join(" and ")} wrong → every problem, exit 2, no stack trace`, async () => {
    const { code, stdout, stderr } = await run(c.main, c.env);
    const said = `exit ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`;
    assert.equal(code, CONFIG_ERROR_EXIT_CODE, said);
    assert.match(stderr, new RegExp(`^${c.name}: invalid configuration:\n`), said);
    for (const variable of c.named) assert.match(stderr, new RegExp(`\n  - ${variable}: `), said);
    assert.doesNotMatch(stderr + stdout, /\n\s+at .+[:(]/, `a stack trace:\n${said}`);
  });
}
