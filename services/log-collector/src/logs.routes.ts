import { Router, type Request } from "express";
import { normalizeLevel, sanitizeService, LEVELS } from "./log-entry.js";
import type { LogFilter, LogQuery } from "./log-query.js";
import { BadRequestError } from "./errors.js";

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
const MAX_Q = 1024;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** All values given for `name` (repeated and/or comma-separated). */
function values(req: Request, name: string): string[] {
  const raw = req.query[name];
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.some((v) => typeof v !== "string")) throw new BadRequestError(`\`${name}\` must be a plain value`);
  return (list as string[]).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
}

function single(req: Request, name: string): string | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== "string") throw new BadRequestError(`\`${name}\` must be given once`);
  return raw;
}

function rfc3339(req: Request, name: string): number | undefined {
  const raw = single(req, name);
  if (raw === undefined || raw === "") return undefined;
  const m = RFC3339.exec(raw);
  const t = Date.parse(raw.replace(" ", "T"));
  // Date.parse rolls 2025-02-30 over to March; the check below refuses such dates.
  const dayOk = m && new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).getUTCDate() === Number(m[3]);
  if (!m || Number.isNaN(t) || !dayOk || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 60) {
    throw new BadRequestError(`\`${name}\` must be an RFC 3339 time such as 2025-01-31T12:00:00Z, got ${JSON.stringify(raw)}`);
  }
  return t;
}

export function parseLogFilter(req: Request): LogFilter {
  const services = values(req, "service").map((s) => sanitizeService(s)).filter(Boolean);
  const levelRaw = single(req, "level");
  const level = levelRaw ? normalizeLevel(levelRaw) : undefined;
  if (levelRaw && !level) throw new BadRequestError(`\`level\` must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(levelRaw)}`);
  const since = rfc3339(req, "since");
  const until = rfc3339(req, "until");
  if (since !== undefined && until !== undefined && since > until) throw new BadRequestError("`since` is after `until`");
  const q = single(req, "q") || undefined;
  if (q && q.length > MAX_Q) throw new BadRequestError(`\`q\` is longer than ${MAX_Q} characters`);
  const limitRaw = single(req, "limit");
  let limit = DEFAULT_LIMIT;
  if (limitRaw !== undefined && limitRaw !== "") {
    if (!/^\d+$/.test(limitRaw) || Number(limitRaw) < 1) throw new BadRequestError(`\`limit\` must be a whole number from 1 to ${MAX_LIMIT}`);
    limit = Math.min(Number(limitRaw), MAX_LIMIT);
  }
  const given = values(req, "service");
  return {
    // A service name with no usable characters matches nothing rather than everything.
    services: given.length ? services : undefined,
    level,
    since,
    until,
    q,
    limit,
  };
}

export interface LogsRoutesDeps {
  query: LogQuery;
}

/**
 * `GET /logs?service=&level=&since=&until=&q=&limit=` — entries newest first (see README);
 * `GET /services` — services that have log files.
 */
export function logsRoutes({ query }: LogsRoutesDeps): Router {
  const router = Router();
  router.get("/logs", async (req, res) => {
    const filter = parseLogFilter(req);
    res.json(await query.query(filter));
  });
  router.get("/services", async (_req, res) => {
    res.json(await query.services());
  });
  return router;
}
