/**
 * Harbor's `q` query language: `k=v` (exact), `k=~v` (fuzzy), `k=[min~max]` (range),
 * `k={a b}` (any of), `k=(a b)` (all of), joined by `,`. Values may be quoted with `"` or `'`.
 * Parsing and checking happen here, at the edge; stores get {@link TextMatch}es and dates.
 */
import { InvalidInputError } from "../errors.js";
import type { TextMatch } from "../listing.js";

export type QueryTerm =
  | { kind: "exact"; value: string }
  | { kind: "fuzzy"; value: string }
  | { kind: "range"; min?: string; max?: string }
  | { kind: "or"; values: string[] }
  | { kind: "and"; values: string[] };

const unquote = (v: string) => {
  const t = v.trim();
  return t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.at(-1) === t[0] ? t.slice(1, -1) : t;
};

/** Splits on commas outside brackets and quotes. */
function splitTerms(q: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = "";
  for (const ch of q) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if ("[{(".includes(ch)) depth++;
    else if ("]})".includes(ch)) depth--;
    else if (ch === "," && depth === 0) {
      terms.push(current);
      current = "";
      continue;
    }
    if (depth < 0) throw new InvalidInputError(`invalid query string: unbalanced "${ch}"`);
    current += ch;
  }
  if (quote) throw new InvalidInputError(`invalid query string: unterminated ${quote}`);
  if (depth !== 0) throw new InvalidInputError("invalid query string: unbalanced brackets");
  terms.push(current);
  return terms.filter((t) => t.trim() !== "");
}

/** The terms of `q` by key; a key given twice is refused. */
export function parseHarborQuery(q: string | undefined): Map<string, QueryTerm> {
  const result = new Map<string, QueryTerm>();
  if (!q) return result;
  for (const term of splitTerms(q)) {
    const eq = term.indexOf("=");
    if (eq <= 0) throw new InvalidInputError(`invalid query term "${term.slice(0, 64)}": expected key=value`);
    const key = term.slice(0, eq).trim();
    if (result.has(key)) throw new InvalidInputError(`query key "${key.slice(0, 64)}" given twice`);
    const raw = term.slice(eq + 1).trim();
    if (raw.startsWith("~")) result.set(key, { kind: "fuzzy", value: unquote(raw.slice(1)) });
    else if (raw.startsWith("[") && raw.endsWith("]")) {
      const [min, max, extra] = raw.slice(1, -1).split("~");
      if (extra !== undefined || max === undefined) throw new InvalidInputError(`invalid range in "${term.slice(0, 64)}": expected [min~max]`);
      result.set(key, { kind: "range", ...(unquote(min ?? "") ? { min: unquote(min ?? "") } : {}), ...(unquote(max) ? { max: unquote(max) } : {}) });
    } else if (raw.startsWith("{") && raw.endsWith("}")) {
      result.set(key, { kind: "or", values: raw.slice(1, -1).trim().split(/\s+/).filter(Boolean).map(unquote) });
    } else if (raw.startsWith("(") && raw.endsWith(")")) {
      result.set(key, { kind: "and", values: raw.slice(1, -1).trim().split(/\s+/).filter(Boolean).map(unquote) });
    } else result.set(key, { kind: "exact", value: unquote(raw) });
  }
  return result;
}

/** Refuses keys of `q` a list does not support, naming the ones it does. */
export function onlyKeys(q: Map<string, QueryTerm>, supported: readonly string[]): void {
  for (const key of q.keys()) {
    if (!supported.includes(key)) {
      throw new InvalidInputError(`unsupported query key "${key.slice(0, 64)}"${supported.length ? ` (supported: ${supported.join(", ")})` : ""}`);
    }
  }
}

/** The {@link TextMatch} of an exact, fuzzy (substring) or any-of term; other kinds are a 400. */
export function textMatch(term: QueryTerm | undefined, key: string): TextMatch | undefined {
  if (!term) return undefined;
  switch (term.kind) {
    case "exact":
      return { exact: term.value };
    case "fuzzy":
      return { contains: term.value };
    case "or":
      return { anyOf: term.values };
    default:
      throw new InvalidInputError(`${key} supports exact (${key}=x), fuzzy (${key}=~x) and any-of (${key}={x y}) matches`);
  }
}

const SPACE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Harbor's times in `q`: `2020-04-09 02:36:00` (UTC), RFC 3339, or a date; years 1–9999, real
 * calendar dates and times only (so a store never sees a date its database cannot hold).
 */
export function parseQueryTime(value: string, key: string): Date {
  const m = SPACE_TIME.exec(value) ?? RFC3339.exec(value) ?? DATE_ONLY.exec(value);
  const fail = (why: string) => new InvalidInputError(`invalid time "${value.slice(0, 64)}" for ${key}: ${why}`);
  if (!m) throw fail('expected "YYYY-MM-DD hh:mm:ss" (UTC), RFC 3339 or YYYY-MM-DD');
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = m.slice(1).filter((p) => p !== undefined).map(Number);
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) throw fail("out of range (years 1–9999)");
  const calendar = new Date(0);
  calendar.setUTCFullYear(year, month - 1, day);
  if (calendar.getUTCMonth() !== month - 1) throw fail("no such day");
  const text = SPACE_TIME.test(value) ? `${value.replace(" ", "T")}Z` : DATE_ONLY.test(value) ? `${value}T00:00:00Z` : value;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw fail("not a time");
  return date;
}

/** A range term's bounds as times; the lower must not be after the upper. */
export function timeRange(term: QueryTerm, key: string): { from?: Date; to?: Date } {
  if (term.kind !== "range") throw new InvalidInputError(`${key} takes a range: ${key}=[from~to]`);
  const from = term.min !== undefined ? parseQueryTime(term.min, key) : undefined;
  const to = term.max !== undefined ? parseQueryTime(term.max, key) : undefined;
  if (from && to && from > to) throw new InvalidInputError(`${key}: the range starts after it ends`);
  return { ...(from && { from }), ...(to && { to }) };
}
