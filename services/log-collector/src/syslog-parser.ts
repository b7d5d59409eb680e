/**
 * Turns one syslog datagram into a log entry: nginx's (tag `nginx`) as service `proxy`, any other
 * program's output under its tag — in the compose deployment Docker's syslog logging driver sends
 * the bundled PostgreSQL's and Redis's output here, tagged `postgres` and `redis`.
 *
 * nginx sends RFC 3164 lines, `<PRI>Mmm dd hh:mm:ss host tag: message` (no host with
 * `nohostname`); RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`) is accepted too.
 * The message is either an access-log line (a JSON object when the `log_format` uses
 * `escape=json`, else free text) or an error-log line
 * (`2025/11/22 19:53:01 [error] 12#12: *3 text, client: …, server: …, request: "…"`).
 */
import { sanitizeService, type Level, type LogEntry } from "./log-entry.js";

export const PROXY_SERVICE = "proxy";

/** syslog severities 0–7 (emerg … debug) as winston levels. */
const SEVERITY_LEVELS: readonly Level[] = ["error", "error", "error", "error", "warn", "info", "info", "debug"];

const NGINX_LEVELS: Readonly<Record<string, Level>> = {
  emerg: "error",
  alert: "error",
  crit: "error",
  error: "error",
  warn: "warn",
  notice: "info",
  info: "info",
  debug: "debug",
};

export interface SyslogHeader {
  facility: number;
  severity: number;
  /** From an RFC 5424 timestamp; RFC 3164 ones have no year or zone, so they are not trusted. */
  time: Date | undefined;
  host: string | undefined;
  tag: string | undefined;
  message: string;
}

const PRI = /^<(\d{1,3})>/;
const BSD_TIME = /^[A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2} /;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\S+ /;
const TAG_ONLY = /^([\w./-]+)(?:\[\d+\])?: ?/;
const HOST_TAG = /^(\S+) ([\w./-]+)(?:\[\d+\])?: ?/;

/** The syslog framing of a datagram; undefined when it has no `<PRI>`. */
export function parseSyslogHeader(datagram: string): SyslogHeader | undefined {
  const pri = PRI.exec(datagram);
  if (!pri) return undefined;
  const value = Number(pri[1]);
  if (value > 191) return undefined;
  const header = { facility: value >> 3, severity: value & 7 };
  let rest = datagram.slice(pri[0].length).replace(/[\r\n]+$/, "");

  if (rest.startsWith("1 ")) {
    // RFC 5424: VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]
    const parts = rest.slice(2).split(" ");
    const [timestamp, host, app] = parts;
    let msg = parts.slice(5).join(" ");
    msg = skipStructuredData(msg).replace(/^\uFEFF/, "");
    const time = timestamp && timestamp !== "-" ? new Date(timestamp) : undefined;
    return {
      ...header,
      time: time && !Number.isNaN(time.getTime()) ? time : undefined,
      host: host && host !== "-" ? host : undefined,
      tag: app && app !== "-" ? app : undefined,
      message: msg,
    };
  }

  const stamp = BSD_TIME.exec(rest) ?? ISO_TIME.exec(rest);
  if (stamp) rest = rest.slice(stamp[0].length);
  const tagOnly = TAG_ONLY.exec(rest);
  if (tagOnly) return { ...header, time: undefined, host: undefined, tag: tagOnly[1], message: rest.slice(tagOnly[0].length) };
  const hostTag = HOST_TAG.exec(rest);
  if (hostTag) return { ...header, time: undefined, host: hostTag[1], tag: hostTag[2], message: rest.slice(hostTag[0].length) };
  return { ...header, time: undefined, host: undefined, tag: undefined, message: rest };
}

/** Drops RFC 5424 STRUCTURED-DATA (`-` or `[id k="v"]…`) from the front of `text`. */
function skipStructuredData(text: string): string {
  if (text.startsWith("- ") || text === "-") return text.slice(2);
  let i = 0;
  while (text[i] === "[") {
    let inQuotes = false;
    for (i++; i < text.length; i++) {
      const c = text[i];
      if (c === "\\") i++;
      else if (c === '"') inQuotes = !inQuotes;
      else if (c === "]" && !inQuotes) {
        i++;
        break;
      }
    }
  }
  return text.slice(i).replace(/^ /, "");
}

const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Keys of nginx's JSON access lines renamed to the names the services' own access logs use. */
const ACCESS_FIELDS: Readonly<Record<string, string>> = {
  uri: "path",
  request_uri: "path",
  request_method: "method",
  http_user_agent: "userAgent",
  http_referer: "referrer",
};

function accessEntry(json: Record<string, unknown>, header: SyslogHeader, receivedAt: Date): LogEntry {
  const fields: Record<string, unknown> = {};
  let time = header.time ?? receivedAt;
  for (const [key, value] of Object.entries(json)) {
    if (value === "" || value === "-" || value === null || value === undefined) continue;
    if (key === "time" || key === "time_iso8601") {
      const t = typeof value === "string" || typeof value === "number" ? new Date(value) : undefined;
      if (t && !Number.isNaN(t.getTime())) time = t;
      continue;
    }
    if (key === "request_time") {
      const seconds = Number(value);
      if (Number.isFinite(seconds)) fields["durationMs"] = Math.round(seconds * 1_000_000) / 1000;
      continue;
    }
    if (key === "status" || key === "bytes" || key === "body_bytes_sent") {
      const n = Number(value);
      fields[key === "status" ? "status" : "bytes"] = Number.isFinite(n) ? n : value;
      continue;
    }
    const name = ACCESS_FIELDS[key] ?? camel(key);
    if (name === "service" || name === "level" || name === "message") fields[`nginx_${name}`] = value;
    else fields[name] = value;
  }
  const message = [fields["method"], fields["path"], fields["status"]].filter((v) => v !== undefined).join(" ");
  return {
    time: time.toISOString(),
    service: PROXY_SERVICE,
    level: "info",
    message: message || JSON.stringify(json),
    module: "access",
    ...fields,
  };
}

const NGINX_ERROR = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} \[(\w+)\] (\d+)#(\d+): (?:\*(\d+) )?/;
const ERROR_CONTEXT = /, (client|server|request|subrequest|upstream|host|referrer): ("(?:[^"\\]|\\.)*"|[^,]*)/g;

function errorEntry(text: string, level: Level, header: SyslogHeader, receivedAt: Date): LogEntry | undefined {
  const head = NGINX_ERROR.exec(text);
  if (!head) return undefined;
  let body = text.slice(head[0].length);
  const fields: Record<string, unknown> = { pid: Number(head[2]) };
  if (head[4]) fields["connection"] = Number(head[4]);
  // nginx appends ", client: …, server: …, request: "…"" context; keep it as fields.
  const contextStart = body.search(/, client: /);
  if (contextStart >= 0) {
    for (const m of body.slice(contextStart).matchAll(ERROR_CONTEXT)) {
      const raw = m[2]!;
      if (raw === "" || raw === '""') continue; // e.g. `server: ,` when no server_name matched
      fields[m[1]!] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
    }
    body = body.slice(0, contextStart);
  }
  return {
    time: (header.time ?? receivedAt).toISOString(),
    service: PROXY_SERVICE,
    level: NGINX_LEVELS[head[1]!] ?? level,
    message: body,
    module: "error",
    ...fields,
  };
}

/** The entry for one datagram, or undefined when it is not syslog at all. */
export function parseNginxSyslog(datagram: string, receivedAt: Date = new Date()): LogEntry | undefined {
  const header = parseSyslogHeader(datagram);
  if (!header) return undefined;
  const level = SEVERITY_LEVELS[header.severity]!;
  const text = header.message.trim();
  const syslog = { ...(header.tag ? { program: header.tag } : {}), ...(header.host ? { hostname: header.host } : {}) };

  if (text.startsWith("{")) {
    try {
      const json: unknown = JSON.parse(text);
      if (typeof json === "object" && json !== null && !Array.isArray(json)) {
        return { ...syslog, ...accessEntry(json as Record<string, unknown>, header, receivedAt) };
      }
    } catch {
      // not JSON after all: keep it as text below
    }
  }
  const error = errorEntry(text, level, header, receivedAt);
  if (error) return { ...syslog, ...error };
  return {
    time: (header.time ?? receivedAt).toISOString(),
    service: PROXY_SERVICE,
    level,
    message: text,
    ...syslog,
  };
}

/** The level word a known program writes into its lines: PostgreSQL's `LOG:`/`ERROR:`…, Redis's `*`/`#`…. */
const PROGRAM_LEVELS: readonly [RegExp, Readonly<Record<string, Level>>][] = [
  [/\] (LOG|INFO|NOTICE|DEBUG\d?|WARNING|ERROR|FATAL|PANIC): /, { LOG: "info", INFO: "info", NOTICE: "info", WARNING: "warn", ERROR: "error", FATAL: "error", PANIC: "error" }],
  [/^\d+:[CMSX] \d{2} \w{3} \d{4} [\d:.]+ ([.\-*#]) /, { ".": "debug", "-": "verbose", "*": "info", "#": "warn" }],
];

function programLevel(text: string, fallback: Level): Level {
  for (const [pattern, levels] of PROGRAM_LEVELS) {
    const word = pattern.exec(text)?.[1];
    if (word !== undefined) return levels[word] ?? (word.startsWith("DEBUG") ? "debug" : fallback);
  }
  return fallback;
}

/**
 * The entry for one datagram, or undefined when it is not syslog at all: nginx's lines (tag
 * `nginx`, or none) through {@link parseNginxSyslog}, other programs' lines as service `<tag>`.
 */
export function parseSyslogDatagram(datagram: string, receivedAt: Date = new Date()): LogEntry | undefined {
  const header = parseSyslogHeader(datagram);
  if (!header) return undefined;
  const service = header.tag === undefined || header.tag === "nginx" ? "" : sanitizeService(header.tag);
  if (service === "" || service === PROXY_SERVICE) return parseNginxSyslog(datagram, receivedAt);
  const text = header.message.trim();
  return {
    time: (header.time ?? receivedAt).toISOString(),
    service,
    level: programLevel(text, SEVERITY_LEVELS[header.severity]!),
    message: text,
    ...(header.host ? { hostname: header.host } : {}),
  };
}
