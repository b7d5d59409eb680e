import path from "node:path";
import { logLevel, parseConfig, port, serviceEnv, z } from "@berth/config";

export interface CollectorConfig {
  host: string;
  port: number;
  logLevel: z.infer<typeof logLevel>;
  /** Absolute directory holding one file per service. */
  logDir: string;
  /** UDP port on 127.0.0.1 for nginx's syslog lines; no receiver when unset. */
  syslogPort: number | undefined;
  /** rotating-file-stream size, e.g. `10M`. */
  rotateSize: string;
  /** rotating-file-stream interval, e.g. `1d`; undefined disables time-based rotation. */
  rotateInterval: string | undefined;
  /** Rotated (compressed) files kept per service. */
  maxFiles: number;
  /** Rotated files older than this are deleted too; undefined keeps them until `maxFiles` drops them. */
  maxAgeDays: number | undefined;
  /** Largest accepted `POST /ingest` body, in bytes. */
  maxBodyBytes: number;
}

const SIZE = /^[1-9]\d*[BKMG]$/;
const INTERVAL = /^([1-9]\d*)([smhdM])$/;

/** Mirrors rotating-file-stream's own check so a bad value fails at start-up with every other problem. */
function validInterval(value: string): boolean {
  const m = INTERVAL.exec(value);
  if (!m) return false;
  const n = Number(m[1]);
  if (m[2] === "s" || m[2] === "m") return 60 % n === 0;
  if (m[2] === "h") return 24 % n === 0;
  return true;
}

const schema = z
  .object({
    BERTH_HOST: serviceEnv.BERTH_HOST,
    BERTH_PORT: serviceEnv.BERTH_PORT,
    BERTH_LOG_LEVEL: serviceEnv.BERTH_LOG_LEVEL,
    BERTH_LOG_DIR: z.string({ error: "is required (the directory for log files)" }).min(1, "must not be empty"),
    BERTH_SYSLOG_PORT: port.optional(),
    BERTH_LOG_ROTATE_SIZE: z.string().regex(SIZE, "must be a size such as 500K, 10M or 1G").default("10M"),
    BERTH_LOG_ROTATE_INTERVAL: z
      .string()
      .refine((v) => v === "off" || validInterval(v), "must be an interval such as 30m, 6h, 1d (s/m divide 60, h divides 24) or off")
      .default("1d"),
    BERTH_LOG_MAX_FILES: z.coerce.number().int().min(1).max(10_000).default(14),
    BERTH_LOG_MAX_AGE_DAYS: z.coerce.number().positive().optional(),
    BERTH_LOG_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(5 * 1024 * 1024),
  })
  .transform(
    (env): CollectorConfig => ({
      host: env.BERTH_HOST,
      port: env.BERTH_PORT,
      logLevel: env.BERTH_LOG_LEVEL,
      logDir: path.resolve(env.BERTH_LOG_DIR),
      syslogPort: env.BERTH_SYSLOG_PORT,
      rotateSize: env.BERTH_LOG_ROTATE_SIZE,
      rotateInterval: env.BERTH_LOG_ROTATE_INTERVAL === "off" ? undefined : env.BERTH_LOG_ROTATE_INTERVAL,
      maxFiles: env.BERTH_LOG_MAX_FILES,
      maxAgeDays: env.BERTH_LOG_MAX_AGE_DAYS,
      maxBodyBytes: env.BERTH_LOG_MAX_BODY_BYTES,
    }),
  );

/** Parses the collector's environment; throws `ConfigError` listing every problem. */
export function loadConfig(env: Record<string, string | undefined>): CollectorConfig {
  // An empty variable means "unset" (shell scripts and compose files often pass `VAR=`).
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  return parseConfig(schema, given);
}
