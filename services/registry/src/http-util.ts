/** Request parsing shared by the route modules: lengths, ranges, bounded bodies, paging. */
import type { Request } from "express";
import { RequestInvalidError } from "./wire-errors.js";

/** The `Content-Length` header as a number, or `undefined` when absent. */
export function contentLength(req: Request): number | undefined {
  const raw = req.headers["content-length"];
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new RequestInvalidError("SIZE_INVALID", "invalid Content-Length", { contentLength: raw });
  return Number(raw);
}

/** A byte range `start`-`end` (inclusive). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * `Content-Range` of an upload chunk: `<start>-<end>` (the spec's form) or
 * `bytes <start>-<end>/<total|*>`. `undefined` when absent.
 */
export function uploadContentRange(req: Request): ByteRange | undefined {
  const raw = req.headers["content-range"];
  if (raw === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?$/.exec(raw.trim());
  if (m === null) throw new RequestInvalidError("RANGE_INVALID", "malformed Content-Range", { contentRange: raw }, 416);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw new RequestInvalidError("RANGE_INVALID", "Content-Range ends before it starts", { contentRange: raw }, 416);
  return { start, end };
}

/** Outcome of a `Range` request header against a blob of `size` bytes. */
export type RangeRequest = { kind: "none" } | { kind: "range"; range: ByteRange } | { kind: "unsatisfiable" };

/**
 * Parses a `Range: bytes=…` header (RFC 9110). Only a single range is honoured; multiple ranges,
 * other units or malformed values are ignored (the whole blob is sent), as the RFC allows.
 */
export function requestedRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: "none" };
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (m === null || (m[1] === "" && m[2] === "")) return { kind: "none" };
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "range", range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Number(m[2]);
  if (m[2] !== "" && end < start) return { kind: "none" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "range", range: { start, end: Math.min(end, size - 1) } };
}

/** Reads a whole body of at most `limit` bytes; `onTooLarge(size)` makes the error to throw. */
export async function readBody(req: Request, limit: number, onTooLarge: (size: number) => Error): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > limit) throw onTooLarge(declared);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) throw onTooLarge(size);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** The most entries one page may hold. */
export const MAX_PAGE_SIZE = 10_000;

/** `n` and `last` of a listing request. */
export function pageQuery(req: Request): { n: number | undefined; last: string | undefined } {
  const n = single(req.query["n"]);
  const last = single(req.query["last"]);
  let parsed: number | undefined;
  if (n !== undefined && n !== "") {
    if (!/^\d{1,9}$/.test(n) || Number(n) > MAX_PAGE_SIZE) {
      throw new RequestInvalidError("PAGINATION_NUMBER_INVALID", `n must be an integer from 0 to ${MAX_PAGE_SIZE}`, { n });
    }
    parsed = Number(n);
  }
  return { n: parsed, last: last === "" ? undefined : last };
}

/** A query parameter given once, else `undefined` (repeated values are refused). */
export function single(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  throw new RequestInvalidError("UNSUPPORTED", "query parameter given more than once", undefined, 400);
}

/** The `Range` header value of an upload holding `offset` bytes (Distribution's `0-<offset-1>`). */
export function uploadRangeHeader(offset: number): string {
  return `0-${Math.max(0, offset - 1)}`;
}
