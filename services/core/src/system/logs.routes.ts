import { Router } from "express";
import { z } from "zod";
import { requireSysadmin } from "../auth/guards.js";
import { InvalidInputError, UpstreamError } from "../errors.js";
import { parseInput } from "../http/parse-input.js";

const rfc3339 = z.iso.datetime({ offset: true, message: "must be an RFC 3339 date-time" });
const levels = ["error", "warn", "info", "http", "verbose", "debug", "silly"] as const;

const query = z.object({
  service: z.union([z.string().max(64), z.array(z.string().max(64)).max(16)]).optional(),
  level: z.enum(levels).optional(),
  since: rfc3339.optional(),
  until: rfc3339.optional(),
  q: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/** The message of the log-collector's Harbor-style error body (or its text). */
function upstreamMessage(body: string): string {
  try {
    const message = (JSON.parse(body) as { errors?: { message?: unknown }[] }).errors?.[0]?.message;
    if (typeof message === "string") return message;
  } catch {
    // not JSON: use the text
  }
  return body.slice(0, 1000);
}

/**
 * `GET /api/v2.0/system/logs` (system administrators only): the log-collector's entries,
 * newest first, filtered by service, minimum level, time range and text.
 */
export function systemLogsRoutes(collectorUrl: string): Router {
  const router = Router();
  router.get("/api/v2.0/system/logs", requireSysadmin(), async (req, res) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(parseInput(query, req.query))) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
    }
    let upstream: Response;
    try {
      upstream = await fetch(`${collectorUrl}/logs?${params}`, { signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new UpstreamError(`log-collector unreachable: ${(err as Error).message}`);
    }
    const body = await upstream.text();
    if (upstream.status === 400) throw new InvalidInputError(upstreamMessage(body));
    if (!upstream.ok) throw new UpstreamError(`log-collector answered ${upstream.status}`);
    res.type("application/json").send(body);
  });
  return router;
}
