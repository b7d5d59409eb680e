/**
 * Berth's one logger factory: winston, JSON lines with `service`, `module`, `level`,
 * `requestId`, errors under `err`; to stdout always, and to the log-collector when configured.
 */
import winston from "winston";
import { CollectorTransport } from "./collector-transport.js";

export type Logger = winston.Logger;
export { CollectorTransport };

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Base URL of the log-collector (`POST <url>/ingest`); stdout only when unset. */
  collectorUrl?: string | undefined;
  /** Most entries kept for the collector while it is unreachable (oldest dropped first). */
  bufferLimit?: number;
  /** Where stdout lines go; tests pass their own stream. */
  stdout?: NodeJS.WritableStream;
}

/** Moves an `Error` found under `err` into plain fields JSON can carry. */
const serializeErrors = winston.format((info) => {
  const err = info["err"];
  if (err instanceof Error) {
    info["err"] = { name: err.name, message: err.message, stack: err.stack, ...(err as unknown as Record<string, unknown>) };
  }
  return info;
});

export function createLogger(options: LoggerOptions): Logger {
  const format = winston.format.combine(
    winston.format.timestamp({ alias: "time" }),
    serializeErrors(),
    winston.format((info) => {
      // `time` is the field the log API documents; winston's own `timestamp` is redundant.
      delete info["timestamp"];
      // Not in defaultMeta: winston lets defaultMeta override what a child logger sets.
      info["module"] ??= "main";
      return info;
    })(),
    winston.format.json(),
  );
  const transports: winston.transport[] = [
    options.stdout
      ? new winston.transports.Stream({ stream: options.stdout })
      : new winston.transports.Console({ forceConsole: true } as winston.transports.ConsoleTransportOptions),
  ];
  if (options.collectorUrl) {
    transports.push(new CollectorTransport({ url: options.collectorUrl, bufferLimit: options.bufferLimit }));
  }
  return winston.createLogger({
    level: options.level ?? "info",
    defaultMeta: { service: options.service },
    format,
    transports,
  });
}

/** Flushes and closes every transport (the collector's pending batch included). */
export async function closeLogger(logger: Logger): Promise<void> {
  const pending = logger.transports
    .filter((t): t is CollectorTransport => t instanceof CollectorTransport)
    .map((t) => t.flush());
  await Promise.allSettled(pending);
  logger.close();
}
