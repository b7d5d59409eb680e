// `npm run bench`, replication section (also `npm run bench:replication` alone): one Berth
// replicates 100 small and 5 large images to another, and in the same run `skopeo sync` copies the
// same set between the same two instances; then both again, when everything already exists
// (Berth: HEADs only). Reported as skopeo's time divided by Berth's (> 1: Berth is faster).
// docs/performance.md explains the setup and the results.
//
// Settings (environment): BERTH_BENCH_REPL_SMALL (default 100), BERTH_BENCH_REPL_LARGE (5),
// BERTH_BENCH_REPL_LARGE_MIB (64), BERTH_BENCH_KEEP=1, BERTH_BENCH_OUT_REPLICATION
// (default e2e/bench-results/replication.json).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { generatePassword, LocalStack, pickFreeTcpPort } from "@berth/local-stack";
import { CoreApi } from "../support/api.js";
import { run } from "../support/exec.js";
import { repoOn, pushImage, pushLargeImage, makeImage, makeLayer, createEndpoint, createReplicationPolicy, startExecution, finished, digestOf, logs } from "../support/replication-fixtures.js";
import { repoRoot } from "../support/launcher.js";
import { machineNote } from "./report.js";

const SMALL = Number(process.env["BERTH_BENCH_REPL_SMALL"] ?? 100);
const LARGE = Number(process.env["BERTH_BENCH_REPL_LARGE"] ?? 5);
const LARGE_MIB = Number(process.env["BERTH_BENCH_REPL_LARGE_MIB"] ?? 64);
const KEEP = process.env["BERTH_BENCH_KEEP"] === "1";
const OUT = process.env["BERTH_BENCH_OUT_REPLICATION"] ?? join(repoRoot, "e2e", "bench-results", "replication.json");
const MiB = 1024 * 1024;

const startedAt = Date.now();
const log = (line: string) => process.stderr.write(`[bench replication ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(3)}s] ${line}\n`);

interface Instance {
  stack: LocalStack;
  api: CoreApi;
  baseUrl: string;
  host: string;
  password: string;
}

const stacks: LocalStack[] = [];
let scratch: string | undefined;

async function startInstance(dir: string, name: string): Promise<Instance> {
  const port = await pickFreeTcpPort();
  const password = generatePassword();
  const lines: string[] = [];
  const stack = new LocalStack({
    dataDir: join(dir, name),
    httpHost: "127.0.0.1",
    httpPort: port,
    adminPassword: password,
    logLevel: "warn",
    repoRoot,
    log: (l) => log(`[${name}] ${l}`),
    output: (l) => lines.push(l),
  });
  stacks.push(stack);
  await stack.start();
  const baseUrl = `http://127.0.0.1:${port}`;
  return { stack, api: new CoreApi(baseUrl, "admin", password), baseUrl, host: `127.0.0.1:${port}`, password };
}

/** Runs `fn` over `items`, `limit` at a time. */
async function parallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function timeBerth(a: Instance, policy: number): Promise<number> {
  const t0 = performance.now();
  const id = await startExecution(a.api, policy);
  const e = await finished(a.api, id, 30 * 60_000);
  const seconds = (performance.now() - t0) / 1000;
  if (e.status !== "Succeed") throw new Error(`replication execution ${id} ended ${e.status}:\n${(await logs(a.api, id)).slice(-3000)}`);
  return seconds;
}

async function timeSkopeo(a: Instance, b: Instance, yamlFile: string, authFile: string): Promise<number> {
  const t0 = performance.now();
  const r = await run(
    "skopeo",
    ["sync", "--src", "yaml", "--dest", "docker", "--dest-tls-verify=false", "--dest-creds", `admin:${b.password}`, "--preserve-digests", "--retry-times", "0", yamlFile, `${b.host}/skopeo`],
    { env: { ...process.env, REGISTRY_AUTH_FILE: authFile }, timeoutMs: 30 * 60_000 },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`skopeo sync failed:\n${r.describe}`);
  return seconds;
}

async function main(): Promise<number> {
  scratch = mkdtempSync(join(tmpdir(), "berth-bench-replication-"));
  log(`starting two Berth instances in ${scratch}`);
  const [a, b] = await Promise.all([startInstance(scratch, "a"), startInstance(scratch, "b")]);
  await a.api.createProject("bench");
  await b.api.createProject("skopeo");

  log(`pushing ${SMALL} small images and ${LARGE} images with a ${LARGE_MIB} MiB layer to A`);
  const repos: string[] = [];
  const digests = new Map<string, string>();
  const small = Array.from({ length: SMALL }, (_, i) => `bench/small-${String(i).padStart(3, "0")}`);
  await parallel(small, 8, async (name) => {
    const image = makeImage("oci", { layers: [makeLayer("oci", undefined, 16 * 1024), makeLayer("oci", undefined, 48 * 1024)] });
    digests.set(name, await pushImage(await repoOn(a.baseUrl, name, a.api), image, "v1"));
  });
  const large = Array.from({ length: LARGE }, (_, i) => `bench/large-${i}`);
  await parallel(large, 2, async (name) => {
    digests.set(name, (await pushLargeImage(await repoOn(a.baseUrl, name, a.api), "v1", LARGE_MIB * MiB)).manifest);
  });
  repos.push(...small, ...large);

  const endpoint = await createEndpoint(a.api, { name: "b", type: "berth", url: b.baseUrl, credential: { type: "basic", access_key: "admin", access_secret: b.password } });
  const policy = await createReplicationPolicy(a.api, {
    name: "bench",
    src_registry: null,
    dest_registry: { id: endpoint },
    dest_namespace: "berth",
    dest_namespace_replace_count: 1,
    filters: [{ type: "name", value: "bench/**" }],
    trigger: { type: "manual" },
  });
  const yamlFile = join(scratch, "sync.yaml");
  writeFileSync(
    yamlFile,
    [`${a.host}:`, "  tls-verify: false", "  credentials:", "    username: admin", `    password: "${a.password}"`, "  images:", ...repos.map((r) => `    ${r}: [v1]`), ""].join("\n"),
  );
  const authFile = join(scratch, "auth.json");
  writeFileSync(authFile, "{}");

  const results: Record<string, number> = {};
  log("Berth replication, first run (everything new)");
  results["berthFirst"] = await timeBerth(a, policy);
  log(`  ${results["berthFirst"]!.toFixed(1)} s`);
  log("skopeo sync, first run (everything new)");
  results["skopeoFirst"] = await timeSkopeo(a, b, yamlFile, authFile);
  log(`  ${results["skopeoFirst"]!.toFixed(1)} s`);
  log("Berth replication, second run (everything exists)");
  results["berthSecond"] = await timeBerth(a, policy);
  log(`  ${results["berthSecond"]!.toFixed(1)} s`);
  log("skopeo sync, second run (everything exists)");
  results["skopeoSecond"] = await timeSkopeo(a, b, yamlFile, authFile);
  log(`  ${results["skopeoSecond"]!.toFixed(1)} s`);

  // Both copies are byte-identical to the source.
  for (const name of [small[0]!, small.at(-1)!, large[0]!]) {
    const short = name.split("/")[1]!;
    for (const target of [`berth/${short}`, `skopeo/${short}`]) {
      const got = await digestOf(await repoOn(b.baseUrl, target, b.api), "v1");
      if (got !== digests.get(name)) throw new Error(`${target}:v1 on B is ${got}, not ${digests.get(name)}`);
    }
  }

  const first = results["skopeoFirst"]! / results["berthFirst"]!;
  const second = results["skopeoSecond"]! / results["berthSecond"]!;
  const bytes = SMALL * 64 * 1024 + LARGE * LARGE_MIB * MiB;
  const table = [
    `Replication: Berth → Berth vs skopeo sync — ${SMALL} small images (2 layers, 64 KiB) + ${LARGE} × ${LARGE_MIB} MiB, ${(bytes / MiB).toFixed(0)} MiB in all`,
    "",
    "| run | Berth (s) | skopeo sync (s) | skopeo / Berth | target |",
    "|---|---|---|---|---|",
    `| first (everything new) | ${results["berthFirst"]!.toFixed(1)} | ${results["skopeoFirst"]!.toFixed(1)} | ${first.toFixed(2)}× | ≥ 1× ${first >= 1 ? "met" : "MISSED"} |`,
    `| second (everything exists) | ${results["berthSecond"]!.toFixed(1)} | ${results["skopeoSecond"]!.toFixed(1)} | ${second.toFixed(2)}× | near-instant |`,
  ].join("\n");
  process.stdout.write(`\n${table}\n`);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(
    OUT,
    `${JSON.stringify({ date: new Date().toISOString(), machine: machineNote(), settings: { small: SMALL, large: LARGE, largeMiB: LARGE_MIB }, seconds: results, ratios: { first, second } }, null, 2)}\n`,
  );
  process.stdout.write(`\nJSON: ${OUT} (took ${Math.round((Date.now() - startedAt) / 1000)} s)\n`);
  return first >= 1 ? 0 : 1;
}

async function cleanup(): Promise<void> {
  await Promise.all(stacks.map((s) => s.stop().catch(() => undefined)));
  for (const s of stacks) s.killNow();
  if (scratch && !KEEP) rmSync(scratch, { recursive: true, force: true });
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

let code = 1;
try {
  code = await main();
} catch (err) {
  log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await cleanup();
}
process.exit(code);
