/**
 * The stored form of a log entry and the rules that turn what senders give into it:
 * `{time, service, level, message, …fields}` as one JSON line.
 */

/** winston's npm levels, most severe first; a query's `level` keeps this level and the ones before it. */
export const LEVELS = ["error", "warn", "info", "http", "verbose", "debug", "silly"] as const;
export type Level = (typeof LEVELS)[number];

const RANK: ReadonlyMap<string, number> = new Map(LEVELS.map((l, i) => [l, i]));

/** Lower is more severe; unknown levels rank as `info`. */
export function levelRank(level: string): number {
  return RANK.get(level) ?? 2;
}

/** Other loggers' level names (syslog, log4j, pino, nginx) mapped onto winston's. */
const ALIASES: Readonly<Record<string, Level>> = {
  emerg: "error",
  emergency: "error",
  alert: "error",
  crit: "error",
  critical: "error",
  fatal: "error",
  err: "error",
  warning: "warn",
  notice: "info",
  trace: "silly",
};

/** A winston level for `value`, or undefined when it is not a level name anyone uses. */
export function normalizeLevel(value: string): Level | undefined {
  const v = value.trim().toLowerCase();
  if (RANK.has(v)) return v as Level;
  return ALIASES[v];
}

/** The stored entry; field order on disk is time, service, level, message, then the rest. */
export interface LogEntry {
  time: string;
  service: string;
  level: Level;
  message: string;
  [field: string]: unknown;
}

/** Service names become file names: lower case `[a-z0-9-]`, at most 64 characters. */
export function sanitizeService(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64)
    .replace(/-+$/, "");
}

/** Why one entry of an ingested batch was refused; the route answers 400 with every reason. */
export class EntryError extends Error {
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(`entry ${index}: ${message}`);
    this.name = "EntryError";
  }
}

const RESERVED = new Set(["time", "timestamp", "service", "level", "message"]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Validates and normalises one entry a sender gave. `service` is required; a missing `time`
 * becomes `receivedAt`, a missing `level` becomes `info`, a missing `message` becomes "" —
 * a log sink should keep a line rather than lose it over a missing field. Wrong types and
 * unknown level names are refused.
 */
export function normalizeEntry(raw: unknown, index: number, receivedAt: Date): LogEntry {
  if (!isPlainObject(raw)) throw new EntryError(index, "must be a JSON object");
  const { time, timestamp, service, level, message } = raw;

  if (typeof service !== "string") throw new EntryError(index, "`service` must be a string");
  const name = sanitizeService(service);
  if (!name) throw new EntryError(index, `\`service\` ${JSON.stringify(service)} has no usable characters`);

  const given = time ?? timestamp;
  let when = receivedAt;
  if (given !== undefined && given !== null) {
    if (typeof given !== "string" && typeof given !== "number") {
      throw new EntryError(index, "`time` must be an RFC 3339 string or epoch milliseconds");
    }
    when = new Date(given);
    if (Number.isNaN(when.getTime())) throw new EntryError(index, `\`time\` ${JSON.stringify(given)} is not a valid time`);
  }

  let lvl: Level = "info";
  if (level !== undefined && level !== null) {
    const normalized = typeof level === "string" ? normalizeLevel(level) : undefined;
    if (!normalized) throw new EntryError(index, `\`level\` ${JSON.stringify(level)} is not one of ${LEVELS.join(", ")}`);
    lvl = normalized;
  }

  let text = "";
  if (typeof message === "string") text = message;
  else if (message !== undefined && message !== null) text = JSON.stringify(message);

  const entry: LogEntry = { time: when.toISOString(), service: name, level: lvl, message: text };
  for (const [key, value] of Object.entries(raw)) {
    if (!RESERVED.has(key) && value !== undefined) entry[key] = value;
  }
  return entry;
}
