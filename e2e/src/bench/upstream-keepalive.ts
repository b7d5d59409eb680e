// `npm run bench:keepalive`: what the containers' way of reaching the services costs. In compose,
// nginx resolves the service names at request time (`resolver` and a variable `proxy_pass`, so
// replicas that come and go are noticed); nginx 1.22 then keeps no idle upstream connections and
// opens one per request. `npm start` uses `upstream` blocks with keep-alive instead. Both come
// from services/proxy/nginx.conf.template; this runs both in front of the same Berth stack
// (LocalStack) and alternates wrk's manifest GETs between them, round by round. Results:
// docs/deploy-compose.md ("Scale-out").
//
// Settings: BERTH_BENCH_ROUNDS (default 5), BERTH_BENCH_WRK_SECONDS (default 8).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findExecutable, pickFreeTcpPort, renderProxyConfig } from "@berth/local-stack";
import { repoRoot } from "../support/launcher.js";
import { makeSmallImage, pushImage } from "../support/oci-client.js";
import { BerthTarget } from "./targets.js";
import { randomBytesOf } from "./workloads/common.js";
import { runningWrk, wrkManifestGets } from "./workloads/manifests.js";

const ROUNDS = Math.max(1, Number(process.env["BERTH_BENCH_ROUNDS"] ?? 5) || 5);
const log = (line: string) => process.stderr.write(`[keepalive] ${line}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** A second nginx from the template, in the compose mode, in front of the stack's services. */
async function resolvingProxy(dir: string, ports: Record<string, number>): Promise<{ url: string; child: ChildProcess }> {
  const nginx = findExecutable("nginx");
  if (!nginx) throw new Error("nginx not found");
  const prefix = join(dir, "resolving-nginx");
  for (const d of ["logs", "tmp"]) mkdirSync(join(prefix, d), { recursive: true });
  cpSync(join(repoRoot, "services", "proxy", "html"), join(prefix, "html"), { recursive: true });
  if (process.getuid?.() === 0) for (const d of [dir, prefix]) chmodSync(d, 0o755);
  const port = await pickFreeTcpPort();
  const config = join(prefix, "nginx.conf");
  writeFileSync(
    config,
    renderProxyConfig(readFileSync(join(repoRoot, "services", "proxy", "nginx.conf.template"), "utf8"), {
      ...(process.getuid?.() === 0 && { workerUser: "www-data" }),
      prefix,
      htmlRoot: join(prefix, "html"),
      listenHost: "127.0.0.1",
      listenPort: port,
      // Address literals: no DNS server needed, the connection handling is the names' (a DNS
      // answer is cached 5 s per worker: its cost is not what is measured).
      upstreams: { registry: `127.0.0.1:${ports["registry"]}`, core: `127.0.0.1:${ports["core"]}`, jobservice: `127.0.0.1:${ports["jobservice"]}` },
      syslogPort: ports["syslog"]!,
      resolver: "127.0.0.1",
    }),
  );
  const args = ["-p", prefix, "-c", config, "-e", join(prefix, "logs", "error.log")];
  const test = spawnSync(nginx, [...args, "-t", "-q"], { encoding: "utf8" });
  if (test.status !== 0) throw new Error(`nginx -t: ${test.stderr}`);
  const child = spawn(nginx, [...args, "-g", "daemon off;"], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${url}/`).then((r) => r.status).catch(() => 0)) === 200) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGTERM");
  throw new Error("the resolving nginx did not start");
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-keepalive-"));
  let berth: BerthTarget | undefined;
  let proxy: ChildProcess | undefined;
  try {
    berth = await BerthTarget.start(dir, log);
    if (berth.unavailable) throw new Error(berth.unavailable);
    const ports = JSON.parse(readFileSync(join(dir, "berth", "run", "ports.json"), "utf8")) as Record<string, number>;
    const resolving = await resolvingProxy(dir, ports);
    proxy = resolving.child;
    const repo = await berth.repo("bench/keepalive");
    await pushImage(repo, makeSmallImage([64 * 1024], randomBytesOf, "keepalive"), "latest");
    const auth = repo.auth["authorization"] ?? "";
    const modes = { "fixed upstreams, keep-alive (npm start)": berth.baseUrl, "resolved at request time (compose)": resolving.url };
    const results = new Map<string, { rps: number[]; p99: number[] }>(Object.keys(modes).map((m) => [m, { rps: [], p99: [] }]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [mode, base] of Object.entries(modes)) {
        const r = await wrkManifestGets(`${base}/v2/bench/keepalive/manifests/latest`, auth, dir);
        results.get(mode)!.rps.push(r.rps);
        results.get(mode)!.p99.push(r.p99Ms);
        log(`round ${round}/${ROUNDS} ${mode}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99Ms.toFixed(2)} ms`);
      }
    }
    const [fixed, resolved] = [...results.values()].map((r) => ({ rps: median(r.rps), p99: median(r.p99) }));
    process.stdout.write(
      [
        `manifest GET by tag through nginx, wrk 2 threads × 32 connections, median of ${ROUNDS} rounds`,
        ...[...results.entries()].map(([mode, r]) => `  ${mode.padEnd(42)} ${median(r.rps).toFixed(0).padStart(7)} req/s   p99 ${median(r.p99).toFixed(2).padStart(6)} ms`),
        `  resolved / fixed: ${(resolved!.rps / fixed!.rps).toFixed(2)}× the requests per second, ${(resolved!.p99 / fixed!.p99).toFixed(2)}× the p99 latency`,
        "",
      ].join("\n"),
    );
  } finally {
    for (const child of runningWrk) child.kill("SIGKILL");
    proxy?.kill("SIGTERM");
    await berth?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
