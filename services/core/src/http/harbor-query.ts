/**
 * Harbor's `q` query language: `k=v` (exact), `k=~v` (fuzzy), `k=[min~max]` (range),
 * `k={a b}` (any of), `k=(a b)` (all of), joined by `,`. Values may be quoted with `"` or `'`.
 */
import { BadRequestError } from "../errors.js";

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
    current += ch;
  }
  if (quote || depth !== 0) throw new BadRequestError(`invalid query string: ${q}`);
  terms.push(current);
  return terms.filter((t) => t.trim() !== "");
}

export function parseHarborQuery(q: string | undefined): Map<string, QueryTerm> {
  const result = new Map<string, QueryTerm>();
  if (!q) return result;
  for (const term of splitTerms(q)) {
    const eq = term.indexOf("=");
    if (eq <= 0) throw new BadRequestError(`invalid query term "${term}": expected key=value`);
    const key = term.slice(0, eq).trim();
    const raw = term.slice(eq + 1).trim();
    if (raw.startsWith("~")) result.set(key, { kind: "fuzzy", value: unquote(raw.slice(1)) });
    else if (raw.startsWith("[") && raw.endsWith("]")) {
      const [min, max, extra] = raw.slice(1, -1).split("~");
      if (extra !== undefined || max === undefined) throw new BadRequestError(`invalid range in "${term}": expected [min~max]`);
      result.set(key, { kind: "range", ...(unquote(min ?? "") ? { min: unquote(min ?? "") } : {}), ...(unquote(max) ? { max: unquote(max) } : {}) });
    } else if (raw.startsWith("{") && raw.endsWith("}")) {
      result.set(key, { kind: "or", values: raw.slice(1, -1).trim().split(/\s+/).filter(Boolean).map(unquote) });
    } else if (raw.startsWith("(") && raw.endsWith(")")) {
      result.set(key, { kind: "and", values: raw.slice(1, -1).trim().split(/\s+/).filter(Boolean).map(unquote) });
    } else result.set(key, { kind: "exact", value: unquote(raw) });
  }
  return result;
}

/** A Prisma string filter for an exact, fuzzy (contains) or any-of term. */
export function stringFilter(term: QueryTerm | undefined, key: string): { equals: string } | { contains: string } | { in: string[] } | undefined {
  if (!term) return undefined;
  switch (term.kind) {
    case "exact":
      return { equals: term.value };
    case "fuzzy":
      return { contains: term.value };
    case "or":
      return { in: term.values };
    default:
      throw new BadRequestError(`unsupported query for ${key}`);
  }
}

/** Harbor's times in `q`: RFC 3339 or `2020-04-09 02:36:00` (UTC). */
export function parseQueryTime(value: string, key: string): Date {
  const normalised = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) ? `${value.replace(" ", "T")}Z` : value;
  const date = new Date(normalised);
  if (Number.isNaN(date.getTime())) throw new BadRequestError(`invalid time "${value}" for ${key}`);
  return date;
}
