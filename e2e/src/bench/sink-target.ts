// The third target of `npm run bench` and the sink push phase of `npm run bench:scale`: the sink
// registry (sink-registry.ts) in a process of its own, behind an nginx rendered from the same
// template as Berth's and Distribution's. Every upstream of that nginx (registry, core's
// /service/token, jobservice) is the sink, so a client's token request travels the same path as
// against Berth and gets a fixed token back.
import type { Socket } from "node:dgram";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pickFreeTcpPort, ProcessSupervisor } from "@berth/local-stack";
import { repoRoot } from "../support/launcher.js";
import { HttpClient, Repo } from "../support/oci-client.js";
import { droppingSyslog, keepLines, startFrontDoor, waitForStatus, type SupervisedChild } from "./front-door.js";
import type { Target } from "./targets.js";

export class SinkTarget implements Target {
  readonly name = "sink" as const;
  readonly label = "sink";
  unavailable: string | undefined;
  readonly http: HttpClient;
  private registry: SupervisedChild | undefined;
  private proxy: SupervisedChild | undefined;
  private readonly output = keepLines(300);
  private readonly supervisor: ProcessSupervisor;

  private constructor(
    readonly baseUrl: string,
    private readonly syslog: Socket,
    maxSockets: number,
  ) {
    this.http = new HttpClient(baseUrl, maxSockets);
    this.supervisor = new ProcessSupervisor({
      output: (line) => this.output.push(line),
      onUnexpectedExit: (child, info) => {
        this.unavailable = `${child.name} exited unexpectedly (${info.signal ?? `code ${info.code}`}): ${child.recentOutput.slice(-3).join(" | ")}`;
      },
    });
  }

  /** Starts the sink and its nginx under `<dir>/sink`; a start-up failure leaves the target marked unavailable. */
  static async start(dir: string, log: (line: string) => void, options: { maxSockets?: number } = {}): Promise<SinkTarget> {
    const sinkPort = await pickFreeTcpPort();
    const httpPort = await pickFreeTcpPort();
    const target = new SinkTarget(`http://127.0.0.1:${httpPort}`, await droppingSyslog(), options.maxSockets ?? 64);
    try {
      await target.launch(dir, sinkPort, httpPort, log);
    } catch (err) {
      target.unavailable = err instanceof Error ? err.message : String(err);
    }
    return target;
  }

  private async launch(dir: string, sinkPort: number, httpPort: number, log: (line: string) => void): Promise<void> {
    const base = join(dir, "sink");
    mkdirSync(base, { recursive: true });
    log(`starting the sink registry on 127.0.0.1:${sinkPort}`);
    this.registry = await this.supervisor.spawn({
      name: "sink",
      command: process.execPath,
      args: [join(repoRoot, "e2e", "dist", "bench", "sink-main.js"), String(sinkPort)],
      tier: 0,
      stopSteps: [{ signal: "SIGTERM", waitMs: 5_000 }],
      deathSignal: "SIGTERM",
    });
    await waitForStatus(`http://127.0.0.1:${sinkPort}/v2/`, [200], 30_000, "the sink", this.registry);
    const sink = `127.0.0.1:${sinkPort}`;
    this.proxy = await startFrontDoor({
      supervisor: this.supervisor,
      name: "sink-proxy",
      scratchDir: dir,
      baseDir: base,
      httpPort,
      upstreams: { registry: sink, core: sink, jobservice: sink },
      syslogPort: this.syslog.address().port,
      log,
    });
  }

  async repo(name: string): Promise<Repo> {
    if (this.unavailable) throw new Error(`the sink is unavailable: ${this.unavailable}`);
    return new Repo(this.http, name, {});
  }

  /** What a client does before pushing to a repository: GET /service/token through the front door (the sink answers a fixed token). */
  async fetchToken(scope: string): Promise<Record<string, string>> {
    const q = new URLSearchParams({ service: "berth-registry", scope });
    const res = await this.http.send({ method: "GET", path: `/service/token?${q}`, headers: {}, expect: [200], timeoutMs: 120_000 });
    const body = JSON.parse(res.body.toString("utf8")) as { token: string };
    return { authorization: `Bearer ${body.token}` };
  }

  registryPid(): number | undefined {
    return this.registry?.running ? this.registry.pid : undefined;
  }

  /** The sink's process and its nginx (master; its workers are its children). */
  processes(): { name: string; pid: number }[] {
    return [this.registry, this.proxy].filter((c): c is SupervisedChild => c !== undefined).map((c) => ({ name: c.name, pid: c.pid }));
  }

  recentOutput(): string[] {
    return this.output.lines;
  }

  async stop(): Promise<void> {
    this.http.close();
    await this.supervisor.stopAll();
    try {
      this.syslog.close();
    } catch {
      // closed already
    }
  }

  killNow(): void {
    this.supervisor.killAllNow();
  }
}
