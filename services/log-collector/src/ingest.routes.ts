import express, { Router } from "express";
import { EntryError, normalizeEntry, type LogEntry } from "./log-entry.js";
import { LogWriteError } from "./log-store.js";
import { BadRequestError, StorageUnavailableError } from "./errors.js";

export interface IngestRoutesDeps {
  append: (entries: LogEntry[]) => Promise<void>;
  /** Largest accepted body in bytes. */
  maxBodyBytes: number;
}

const MAX_REPORTED = 10;

/**
 * `POST /ingest` — a JSON array of entries (`@berth/logger`'s CollectorTransport sends these).
 * All or nothing: one invalid entry refuses the batch with 400 listing the problems; 200
 * `{"accepted": n}` once every entry is on disk; 503 when the disk refuses the write.
 */
export function ingestRoutes({ append, maxBodyBytes }: IngestRoutesDeps): Router {
  const router = Router();
  // Any content type: the body is parsed as JSON or refused.
  const json = express.json({ limit: maxBodyBytes, type: () => true, strict: false });
  router.post("/ingest", json, async (req, res) => {
    const body: unknown = req.body;
    if (!Array.isArray(body)) throw new BadRequestError("the body must be a JSON array of log entries");
    const receivedAt = new Date();
    const entries: LogEntry[] = [];
    const problems: string[] = [];
    body.forEach((raw: unknown, index) => {
      try {
        entries.push(normalizeEntry(raw, index, receivedAt));
      } catch (err) {
        if (!(err instanceof EntryError)) throw err;
        problems.push(err.message);
      }
    });
    if (problems.length > 0) {
      const more = problems.length > MAX_REPORTED ? `; and ${problems.length - MAX_REPORTED} more` : "";
      throw new BadRequestError(`invalid log entries: ${problems.slice(0, MAX_REPORTED).join("; ")}${more}`);
    }
    try {
      await append(entries);
    } catch (err) {
      if (err instanceof LogWriteError) throw new StorageUnavailableError(err.message);
      throw err;
    }
    res.json({ accepted: entries.length });
  });
  return router;
}
