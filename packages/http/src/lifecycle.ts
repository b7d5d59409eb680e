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
 * On SIGTERM or SIGINT: stop accepting connections, let requests in flight finish (up to
 * `graceMs`), run the closers in order, then exit. A second signal exits at once.
 */
export function onShutdown(logger: Logger, server: Server | undefined, closers: Closer[], graceMs = 10_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info(`received ${signal}, shutting down`);
    const deadline = setTimeout(() => {
      logger.warn("shutdown took too long; exiting");
      process.exit(1);
    }, graceMs + 5_000);
    deadline.unref();
    if (server) {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
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
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}
