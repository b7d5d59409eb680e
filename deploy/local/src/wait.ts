import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { connect } from "node:net";
import type { SupervisedChild } from "./process-supervisor.js";

export class StartupError extends Error {
  override name = "StartupError";
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new StartupError("start-up was interrupted"));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new StartupError("start-up was interrupted"));
      },
      { once: true },
    );
  });
}

export interface WaitOptions {
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal | undefined;
  /** Fail at once when this child exits while we wait. */
  child?: SupervisedChild | undefined;
}

/**
 * Polls `probe` until it resolves truthy. Fails when the time is up (with the last reason the
 * probe gave), when `child` exits, or when `signal` aborts.
 */
export async function waitUntil(probe: () => Promise<true | string>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last = "no answer yet";
  for (;;) {
    if (options.child && !options.child.running) {
      const output = options.child.recentOutput.slice(-10).map((l) => `    ${l}`).join("\n");
      throw new StartupError(`${options.child.name} exited while waiting for ${options.what}; its last output:\n${output}`);
    }
    if (options.signal?.aborted) throw new StartupError("start-up was interrupted");
    try {
      const result = await probe();
      if (result === true) return;
      last = result;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new StartupError(`${options.what} not ready after ${options.timeoutMs / 1000} s: ${last}`);
    await delay(options.intervalMs ?? 200, options.signal);
  }
}

/** `GET url` (http or https), within 5 s. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // The launcher probes its own nginx, by an address the certificate may not name (it was
    // checked before nginx started): no certificate verification here.
    const req = (url.startsWith("https:") ? httpsGet : httpGet)(url, { rejectUnauthorized: false, timeout: 5_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.on("error", reject);
  });
}

/** Probe: `GET url` answers `status` (200 by default). */
export function httpProbe(url: string, status = 200): () => Promise<true | string> {
  return async () => {
    const res = await get(url);
    return res.status === status ? true : `${url} answered ${res.status}: ${res.body.slice(0, 500)}`;
  };
}

/** Sends one line to host:port and resolves with the first chunk of the answer. */
export function tcpExchange(host: string, port: number, request: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${host}:${port}`)));
    socket.once("error", reject);
    socket.once("connect", () => socket.write(request));
    socket.once("data", (data) => {
      resolve(data.toString("utf8"));
      socket.destroy();
    });
  });
}
