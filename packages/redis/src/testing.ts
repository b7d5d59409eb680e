/**
 * `@berth/redis/testing`: a private redis-server for tests that stall it (SIGSTOP, as a hung host
 * or a network partition leaves it) — the shared test server must keep serving other test files.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { Redis } from "ioredis";

export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** SIGSTOP: the socket stays open and nothing answers. */
  stall(): void;
  /** SIGCONT (a no-op unless stalled). */
  resume(): void;
  /** Resumes and stops the server. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `redis-server` (no persistence) on a free loopback port; resolves once it answers PING. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const exited = once(server, "exit");
  const url = `redis://127.0.0.1:${port}`;
  let stalled = false;
  const resume = () => {
    if (stalled) server.kill("SIGCONT");
    stalled = false;
  };
  const stop = async () => {
    resume();
    if (server.exitCode === null && server.signalCode === null) {
      server.kill("SIGTERM");
      await exited;
    }
  };
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined); // refused until the server listens: retried below
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch (err) {
        probe.disconnect();
        if (attempt >= 100 || server.exitCode !== null) throw new Error(`redis-server on port ${port} did not answer`, { cause: err });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    probe.disconnect();
  }
  return {
    url,
    stall: () => {
      stalled = true;
      server.kill("SIGSTOP");
    },
    resume,
    stop,
  };
}
