import { once } from "node:events";
import type { Server } from "node:http";
import type { Express } from "express";
import type { Logger } from "@berth/logger";
import { answerClientErrors } from "./edge-errors.js";

/** Something to release at shutdown (a pool, a Redis client, a queue). */
export type Closer = () => Promise<unknown> | unknown;

/**
 * Starts listening; resolves once the port is bound. Requests Node's HTTP parser refuses are
 * answered with a JSON error in the API's format (see `answerClientErrors`).
 */
export async function listen(app: Express, host: string, port: number): Promise<Server> {
  const server = app.listen(port, host);
  answerClientErrors(server);
  server.keepAliveTimeout = 65_000; // longer than nginx's upstream keepalive_timeout
  server.headersTimeout = 66_000;
  await once(server, "listening");
  return server;
}

/**
 * Whether `work` settles within `ms`. A stop step that waits on a server which is itself going away
 * (Redis stopped by the same supervisor) would wait forever; the caller moves on instead and
 * leaves `work` to finish or die with the process.
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface StopSignalOptions {
  /** The first stop signal: begin the graceful stop. */
  onStop(signal: NodeJS.Signals): void;
  /** A SIGINT at least `windowMs` after the first signal: a deliberate second Ctrl-C, stop at once. */
  onForce(signal: NodeJS.Signals): void;
  /** Any other later signal (a copy of the first, or a repeated SIGTERM/SIGHUP): ignored. */
  onRepeat?(signal: NodeJS.Signals, sinceFirstMs: number): void;
  /** Default SIGINT and SIGTERM. */
  signals?: NodeJS.Signals[];
  /** Copies of a signal arriving within this long of the first are the same request (default 1 s). */
  windowMs?: number;
  now?: () => number;
  /** Default `process`. */
  target?: Pick<NodeJS.EventEmitter, "on" | "off">;
}

/**
 * One stop request, however many copies of the signal arrive: a terminal sends Ctrl-C's SIGINT to
 * its whole foreground process group and npm forwards it to its child again; supervisors signal
 * every process of a group or cgroup. Only a SIGINT at least `windowMs` after the first — a
 * person pressing Ctrl-C again — forces; a repeated SIGTERM never does (a supervisor that wants
 * a process gone escalates to SIGKILL itself). Returns a function removing the handlers.
 */
export function handleStopSignals(options: StopSignalOptions): () => void {
  const target = options.target ?? process;
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? 1_000;
  let first: number | undefined;
  const handler = (signal: NodeJS.Signals) => {
    const at = now();
    if (first === undefined) {
      first = at;
      options.onStop(signal);
    } else if (signal === "SIGINT" && at - first >= windowMs) {
      options.onForce(signal);
    } else {
      options.onRepeat?.(signal, at - first);
    }
  };
  const signals = options.signals ?? ["SIGINT", "SIGTERM"];
  for (const signal of signals) target.on(signal, handler);
  return () => {
    for (const signal of signals) target.off(signal, handler);
  };
}

/**
 * On SIGTERM or SIGINT: stop accepting connections, let requests in flight finish (up to
 * `graceMs`), run the closers in order, then exit. Copies of the signal (a group-wide SIGTERM
 * followed by the launcher's own) do not cut the drain short; only a deliberate second Ctrl-C
 * (see {@link handleStopSignals}) exits at once.
 */
export function onShutdown(logger: Logger, server: Server | undefined, closers: Closer[], graceMs = 10_000): void {
  const stop = async (signal: string) => {
    logger.info(`received ${signal}, shutting down`);
    const deadline = setTimeout(() => {
      logger.warn("shutdown took too long; exiting");
      process.exit(1);
    }, graceMs + 5_000);
    deadline.unref();
    if (server) {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeIdleConnections();
      // A keep-alive connection (nginx keeps some to every upstream) turns idle once its
      // request in flight is answered; close those as they do, not after the grace period.
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearInterval(idle);
      clearTimeout(force);
    }
    for (const close of closers) {
      try {
        await close();
      } catch (err) {
        logger.error("error during shutdown", { err });
      }
    }
    process.exit(0);
  };
  handleStopSignals({
    onStop: (signal) => void stop(signal),
    onForce: (signal) => {
      logger.warn(`received ${signal} again; exiting at once`);
      process.exit(130);
    },
    onRepeat: (signal) => logger.info(`received ${signal} again; already shutting down`),
  });
}
