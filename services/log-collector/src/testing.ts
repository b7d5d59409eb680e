/** Test helpers: a real collector in-process on 127.0.0.1, port 0, in a temporary directory. */
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { createLogger, type Logger } from "@berth/logger";
import { listen } from "@berth/http";
import { createApp } from "./app.js";
import { LogQuery } from "./log-query.js";
import { LogStore, type LogStoreOptions } from "./log-store.js";
import { SyslogReceiver } from "./syslog-receiver.js";

export function quietLogger(): Logger {
  return createLogger({ service: "log-collector", level: "warn", stdout: new Writable({ write: (_c, _e, cb) => cb() }) });
}

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "berth-log-collector-"));
}

export interface Collector {
  url: string;
  port: number;
  dir: string;
  store: LogStore;
  query: LogQuery;
  syslog: SyslogReceiver | undefined;
  /** Stops HTTP, syslog and the store; keeps the directory. */
  stop(): Promise<void>;
  /** `stop` and remove the directory. */
  close(): Promise<void>;
}

export interface CollectorOptions extends Partial<LogStoreOptions> {
  port?: number;
  syslog?: boolean;
  maxBodyBytes?: number;
}

export async function startCollector(options: CollectorOptions = {}): Promise<Collector> {
  const dir = options.dir ?? (await tempDir());
  const store = new LogStore({
    dir,
    rotateSize: options.rotateSize ?? "10M",
    rotateInterval: options.rotateInterval,
    maxFiles: options.maxFiles ?? 14,
    maxAgeDays: options.maxAgeDays,
  });
  await store.init();
  const query = new LogQuery(dir, (s) => store.settled(s));
  let syslog: SyslogReceiver | undefined;
  if (options.syslog) {
    syslog = new SyslogReceiver({ host: "127.0.0.1", port: 0, append: (e) => store.append(e) });
    await syslog.start();
  }
  const app = createApp({ logger: quietLogger(), store, query, syslog, maxBodyBytes: options.maxBodyBytes ?? 5 * 1024 * 1024 });
  const server: Server = await listen(app, "127.0.0.1", options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await syslog?.close();
    await store.close();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    store,
    query,
    syslog,
    stop,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export async function getJson<T = unknown>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
