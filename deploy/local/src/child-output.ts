/**
 * The lines the stack's processes print, read into a level and one readable line: the terminal
 * of `npm start` shows warnings and errors (everything with BERTH_ECHO_LOGS=1), the log-collector
 * keeps everything.
 */

/** winston's levels (the log-collector's), most severe first. */
export const LEVELS = ["error", "warn", "info", "http", "verbose", "debug", "silly"] as const;
export type Level = (typeof LEVELS)[number];

/** How a process writes its lines. */
export type LineFormat =
  /** A Berth service: JSON lines from @berth/logger (which also sends them to the log-collector). */
  | "berth-json"
  /** PostgreSQL's stderr log (`<time> [pid] LEVEL:  message`). */
  | "postgres"
  /** Redis's log (`pid:role <time> <mark> message`). */
  | "redis"
  /** nginx's stderr (`<time> [level] …` or `nginx: [level] …`). */
  | "nginx"
  | "plain";

export interface ChildLine {
  /** The process's name (`postgres`, `core`, …). */
  source: string;
  level: Level;
  /** One readable line: `[core] warn: message (err: …)`. */
  text: string;
  /** The line as the process wrote it. */
  raw: string;
  /** True when the process sends this line to the log-collector itself. */
  collected: boolean;
}

/** True when `level` is at least as severe as `threshold`. */
export function atLeast(level: Level, threshold: Level): boolean {
  return LEVELS.indexOf(level) <= LEVELS.indexOf(threshold);
}

const MAX_TEXT = 2_000;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

/** A value on one line: multi-line strings (Prisma's errors) are joined. */
function scalar(value: unknown): string {
  if (typeof value === "string") return value.trim().replace(/\s*\n\s*/g, " ");
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 200 ? `${json.slice(0, 200)}…` : json;
}

function levelOf(value: unknown): Level {
  return typeof value === "string" && (LEVELS as readonly string[]).includes(value) ? (value as Level) : "info";
}

const HIDDEN = new Set(["time", "timestamp", "level", "message", "service", "module", "err"]);

/** `[core] warn: message (module: auth, err: TypeError: …, requestId: …)` from a JSON entry. */
function renderEntry(source: string, entry: Record<string, unknown>): { level: Level; text: string } {
  const level = levelOf(entry["level"]);
  const service = typeof entry["service"] === "string" ? entry["service"] : source;
  const details: string[] = [];
  if (typeof entry["module"] === "string" && entry["module"] !== "main") details.push(`module: ${entry["module"]}`);
  const err = entry["err"];
  if (err && typeof err === "object") {
    const { name, message, code } = err as { name?: unknown; message?: unknown; code?: unknown };
    const what = typeof message === "string" && message !== "" ? message : code !== undefined ? scalar(code) : scalar(err);
    details.push(`err: ${typeof name === "string" ? `${name}: ` : ""}${what}`);
  } else if (err !== undefined) {
    details.push(`err: ${scalar(err)}`);
  }
  for (const [key, value] of Object.entries(entry)) {
    if (!HIDDEN.has(key) && value !== undefined && value !== null) details.push(`${key}: ${scalar(value)}`);
  }
  const message = scalar(entry["message"] ?? "");
  return { level, text: clip(`[${service}] ${level}: ${message}${details.length ? ` (${details.join(", ")})` : ""}`) };
}

const POSTGRES = /\b(LOG|INFO|NOTICE|WARNING|ERROR|FATAL|PANIC|DEBUG[1-5]?|DETAIL|HINT|CONTEXT|STATEMENT|QUERY|LOCATION):\s/;
const POSTGRES_LEVELS: Record<string, Level | undefined> = {
  LOG: "info",
  INFO: "info",
  NOTICE: "info",
  WARNING: "warn",
  ERROR: "error",
  FATAL: "error",
  PANIC: "error",
};
const REDIS = /^\d+:[XCSM] \d{1,2} \w{3} \d{4} [\d:.]+ ([.\-*#]) /;
const REDIS_LEVELS: Record<string, Level> = { ".": "debug", "-": "verbose", "*": "info", "#": "warn" };
/** Redis logs its start and stop at warning level (`#`) so they always show; they are not warnings. */
const REDIS_NOTICES = / # (oO0OoO0OoO0Oo|Redis version=|Configuration loaded|Server initialized|User requested shutdown|Redis is now ready to exit|Received SIG\w+ scheduling shutdown)/;
const NGINX = /\[(emerg|alert|crit|error|warn|notice|info|debug)\]/;
const NGINX_LEVELS: Record<string, Level> = { emerg: "error", alert: "error", crit: "error", error: "error", warn: "warn", notice: "info", info: "info", debug: "debug" };

/**
 * A reader for one process's lines. It keeps the level of the last line, so the lines that
 * continue one (PostgreSQL's DETAIL and STATEMENT, a multi-line message) go with it.
 */
export function lineReader(source: string, format: LineFormat): (raw: string) => ChildLine {
  let previous: Level = "info";
  const plain = (raw: string, level: Level): ChildLine => {
    previous = level;
    return { source, level, text: clip(`[${source}] ${raw}`), raw, collected: false };
  };
  return (raw) => {
    switch (format) {
      case "berth-json": {
        if (raw.startsWith("{")) {
          try {
            const entry = JSON.parse(raw) as unknown;
            if (entry && typeof entry === "object" && !Array.isArray(entry)) {
              const { level, text } = renderEntry(source, entry as Record<string, unknown>);
              return { source, level, text, raw, collected: true };
            }
          } catch {
            // not JSON after all
          }
        }
        // A service writes only JSON; anything else is Node itself reporting trouble (an
        // uncaught exception's stack trace, a warning): show it.
        return plain(raw, "error");
      }
      case "postgres": {
        const severity = POSTGRES.exec(raw)?.[1];
        const level = severity ? (POSTGRES_LEVELS[severity] ?? (severity.startsWith("DEBUG") ? "debug" : previous)) : previous;
        return plain(raw, level);
      }
      case "redis": {
        const mark = REDIS.exec(raw)?.[1];
        const level = mark === "#" && REDIS_NOTICES.test(raw) ? "info" : mark ? (REDIS_LEVELS[mark] ?? "info") : previous;
        return plain(raw, level);
      }
      case "nginx": {
        const name = NGINX.exec(raw)?.[1];
        return plain(raw, name ? (NGINX_LEVELS[name] ?? "info") : previous);
      }
      default:
        return plain(raw, "info");
    }
  };
}

/**
 * What `npm start` shows in its terminal: warnings and errors of every process, readable;
 * with `echoAll` (BERTH_ECHO_LOGS=1) every line. The launcher's own status lines are printed
 * apart from this. The log-collector keeps every line regardless.
 */
export function terminalOutput(echoAll: boolean, write: (text: string) => void = (t) => void process.stdout.write(`${t}\n`)): (text: string, line: ChildLine) => void {
  return (text, line) => {
    if (echoAll || atLeast(line.level, "warn")) write(text);
  };
}
