import { stat } from "node:fs/promises";
import { gzipLines, linesBackward } from "./line-reader.js";
import { levelRank, type Level, type LogEntry } from "./log-entry.js";
import { listLogFiles, type ServiceFiles } from "./log-files.js";

export interface LogFilter {
  /** Sanitised service names; undefined means every service. */
  services?: string[] | undefined;
  /** Minimum severity: `warn` keeps warn and error. */
  level?: Level | undefined;
  /** Inclusive bounds, epoch milliseconds. */
  since?: number | undefined;
  until?: number | undefined;
  /** Case-insensitive substring of the message or of the whole JSON line. */
  q?: string | undefined;
  limit: number;
}

export interface ServiceSummary {
  service: string;
  /** The current file plus the rotated ones. */
  files: number;
  bytes: number;
  lastWrite: string | undefined;
}

interface Hit {
  entry: LogEntry;
  time: number;
}

type Matcher = (line: string) => Hit | undefined;

/** The start of every line `LogStore` writes (`JSON.stringify` of time, service, level first). */
const HEAD = /^\{"time":"([^"\\]+)","service":"[a-z0-9-]*","level":"([a-z]+)"/;

function matcher(filter: LogFilter): Matcher {
  const maxRank = filter.level === undefined ? Infinity : levelRank(filter.level);
  const q = filter.q?.toLowerCase();
  // JSON escapes only `"`, `\` and control characters, so for any other query a line that does
  // not contain it cannot hold a message that does: skip parsing it.
  const lineDecides = q !== undefined && !/["\\\u0000-\u001f]/.test(q);
  return (line) => {
    // Lines the store wrote start with time, service and level: filter on those before parsing.
    const head = HEAD.exec(line);
    if (head) {
      if (levelRank(head[2]!) > maxRank) return undefined;
      const t = Date.parse(head[1]!);
      if (filter.since !== undefined && t < filter.since) return undefined;
      if (filter.until !== undefined && t > filter.until) return undefined;
    }
    const lower = q === undefined ? undefined : line.toLowerCase();
    if (lineDecides && !lower!.includes(q!)) return undefined;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      return undefined; // a torn or foreign line
    }
    if (typeof entry !== "object" || entry === null) return undefined;
    const { time, level, message } = entry as Record<string, unknown>;
    if (typeof time !== "string" || typeof level !== "string" || typeof message !== "string") return undefined;
    const t = Date.parse(time);
    if (Number.isNaN(t)) return undefined;
    if (levelRank(level) > maxRank) return undefined;
    if (filter.since !== undefined && t < filter.since) return undefined;
    if (filter.until !== undefined && t > filter.until) return undefined;
    if (q !== undefined && !lower!.includes(q) && !message.toLowerCase().includes(q)) return undefined;
    return { entry: entry as LogEntry, time: t };
  };
}

/**
 * One service's matching entries, newest first: the current file read backwards, then the
 * rotated files newest first. A rotated file closed before `since` holds nothing newer, so it
 * and every older one are skipped. A gzip file cannot be read backwards; only its last `keep`
 * matches are held in memory (no service contributes more than `limit` entries).
 */
async function* serviceHits(files: ServiceFiles, match: Matcher, since: number | undefined, keep: number): AsyncGenerator<Hit> {
  if (files.current) {
    for await (const line of linesBackward(files.current)) {
      const hit = match(line);
      if (hit) yield hit;
    }
  }
  for (const rotated of files.rotated) {
    if (since !== undefined && rotated.rotatedAt < since) return;
    const ring: Hit[] = [];
    for await (const line of gzipLines(rotated.path)) {
      const hit = match(line);
      if (!hit) continue;
      ring.push(hit);
      if (ring.length > keep) ring.shift();
    }
    for (let i = ring.length - 1; i >= 0; i--) yield ring[i]!;
  }
}

/**
 * Answers log queries from the files `LogStore` writes. Lines are appended in arrival order,
 * which is time order up to late deliveries (a sender that buffered while the collector was
 * down); services are merged by time and the page is sorted by time.
 */
export class LogQuery {
  constructor(
    private readonly dir: string,
    /** Waits out a rotation in progress (see `LogStore.settled`). */
    private readonly settled: (service: string) => Promise<void> = async () => {},
  ) {}

  async query(filter: LogFilter): Promise<LogEntry[]> {
    const wanted = (all: Map<string, ServiceFiles>) =>
      filter.services === undefined ? [...all.keys()] : filter.services.filter((s) => all.has(s));
    const candidates = wanted(await listLogFiles(this.dir));
    if (candidates.length === 0) return [];
    await Promise.all(candidates.map((s) => this.settled(s)));
    const all = await listLogFiles(this.dir);
    const match = matcher(filter);
    const iterators = wanted(all).map((s) => serviceHits(all.get(s)!, match, filter.since, filter.limit));
    try {
      const heads = await Promise.all(iterators.map((it) => it.next()));
      const page: Hit[] = [];
      while (page.length < filter.limit) {
        let best = -1;
        for (let i = 0; i < heads.length; i++) {
          const head = heads[i]!;
          if (head.done) continue;
          if (best < 0 || head.value.time > (heads[best]!.value as Hit).time) best = i;
        }
        if (best < 0) break;
        page.push(heads[best]!.value as Hit);
        heads[best] = await iterators[best]!.next();
      }
      page.sort((a, b) => b.time - a.time); // stable: arrival order breaks ties
      return page.map((h) => h.entry);
    } finally {
      await Promise.allSettled(iterators.map((it) => it.return(undefined)));
    }
  }

  /** Services that have log files, by name. */
  async services(): Promise<ServiceSummary[]> {
    const all = await listLogFiles(this.dir);
    const summaries = await Promise.all(
      [...all.values()].map(async (files): Promise<ServiceSummary> => {
        const paths = [...(files.current ? [files.current] : []), ...files.rotated.map((r) => r.path)];
        const stats = await Promise.all(paths.map((p) => stat(p).catch(() => undefined)));
        const present = stats.filter((s) => s !== undefined);
        const last = Math.max(...present.map((s) => s.mtimeMs));
        return {
          service: files.service,
          files: present.length,
          bytes: present.reduce((sum, s) => sum + s.size, 0),
          lastWrite: Number.isFinite(last) ? new Date(last).toISOString() : undefined,
        };
      }),
    );
    return summaries.sort((a, b) => a.service.localeCompare(b.service));
  }
}
