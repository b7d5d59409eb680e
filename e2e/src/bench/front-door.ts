// What the benchmark's plain targets (CNCF Distribution, the sink) share: an nginx rendered from
// the same template as Berth's (services/proxy/nginx.conf.template) in front of one registry
// process, its access log sent over syslog to a socket that drops it, and readiness checks.
import { spawnSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findExecutable, renderProxyConfig, type ProcessSupervisor } from "@berth/local-stack";
import { repoRoot } from "../support/launcher.js";

export type SupervisedChild = Awaited<ReturnType<ProcessSupervisor["spawn"]>>;

export function keepLines(limit: number): { push: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    push: (line) => {
      lines.push(line);
      if (lines.length > limit) lines.splice(0, lines.length - limit);
    },
  };
}

export async function waitForStatus(url: string, statuses: number[], timeoutMs: number, what: string, child?: SupervisedChild): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (child && !child.running) throw new Error(`${what} exited: ${child.recentOutput.slice(-5).join(" | ")}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (statuses.includes(res.status)) return;
      last = `answered ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready after ${timeoutMs / 1000} s (${url}: ${last})`);
}

/** A UDP socket on loopback that receives nginx's syslog access log and drops it. */
export async function droppingSyslog(): Promise<Socket> {
  const syslog = createSocket("udp4");
  syslog.on("message", () => {});
  await new Promise<void>((resolve) => syslog.bind({ address: "127.0.0.1", port: 0 }, resolve));
  syslog.unref();
  return syslog;
}

export interface FrontDoorOptions {
  supervisor: ProcessSupervisor;
  /** The supervised child's name (e.g. `distribution-proxy`). */
  name: string;
  /** The scratch directory of the run and the target's directory inside it (made searchable for nginx's workers). */
  scratchDir: string;
  baseDir: string;
  httpPort: number;
  upstreams: { registry: string; core: string; jobservice: string };
  syslogPort: number;
  log: (line: string) => void;
}

/** Renders the template into `<baseDir>/nginx`, checks it (`nginx -t`), starts nginx and waits until `/v2/` answers 200. */
export async function startFrontDoor(o: FrontDoorOptions): Promise<SupervisedChild> {
  const nginx = findExecutable("nginx");
  if (!nginx) throw new Error("nginx not found (Debian: apt-get install -y nginx)");
  const nginxDir = join(o.baseDir, "nginx");
  for (const d of [join(nginxDir, "logs"), join(nginxDir, "tmp")]) mkdirSync(d, { recursive: true });
  let workerUser: string | undefined;
  if (process.getuid?.() === 0) {
    const id = spawnSync("id", ["-u", "www-data"]);
    workerUser = id.status === 0 ? "www-data" : "nobody";
    // Workers must reach the prefix (mkdtemp makes 0700 directories).
    for (const d of [o.scratchDir, o.baseDir, nginxDir]) chmodSync(d, 0o755);
  }
  const html = join(nginxDir, "html");
  cpSync(join(repoRoot, "services", "proxy", "html"), html, { recursive: true });
  const confFile = join(nginxDir, "nginx.conf");
  writeFileSync(
    confFile,
    renderProxyConfig(readFileSync(join(repoRoot, "services", "proxy", "nginx.conf.template"), "utf8"), {
      workerUser,
      prefix: nginxDir,
      htmlRoot: html,
      listenHost: "127.0.0.1",
      listenPort: o.httpPort,
      upstreams: o.upstreams,
      syslogPort: o.syslogPort,
      // These registries never answer with X-Accel-Redirect: the location stays unused (no blobRoot).
    }),
  );
  const args = ["-p", nginxDir, "-c", confFile, "-e", join(nginxDir, "logs", "error.log")];
  const test = spawnSync(nginx, [...args, "-t", "-q"], { encoding: "utf8" });
  if (test.status !== 0) throw new Error(`nginx rejected ${confFile}: ${test.stderr}`);
  o.log(`starting nginx (${o.name}) on 127.0.0.1:${o.httpPort}`);
  const proxy = await o.supervisor.spawn({
    name: o.name,
    command: nginx,
    args: [...args, "-g", "daemon off;"],
    tier: 1,
    stopSteps: [
      { signal: "SIGQUIT", waitMs: 4_000 },
      { signal: "SIGTERM", waitMs: 1_000 },
    ],
    deathSignal: "SIGTERM",
  });
  await waitForStatus(`http://127.0.0.1:${o.httpPort}/v2/`, [200], 30_000, `nginx (${o.name})`, proxy);
  return proxy;
}
