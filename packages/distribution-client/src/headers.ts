/**
 * Pure parsers of the HTTP headers registry traffic depends on: the `WWW-Authenticate` challenge
 * (RFC 7235 auth-params, as Distribution and Docker Hub send them), `Retry-After` (seconds or an
 * HTTP date), the `Link` header's `rel="next"` (catalog, tags and referrers pagination) and the
 * upload `Range` (`0-<last byte>`).
 */

/** How a registry asked to be authenticated. */
export type Challenge =
  | { scheme: "bearer"; realm: string; service?: string | undefined; scope?: string | undefined; error?: string | undefined }
  | { scheme: "basic"; realm?: string | undefined };

/**
 * The first challenge of `header` Berth can answer (Bearer preferred over Basic), or undefined.
 * Parameters are `name=token` or `name="quoted string"` (with `\"` escapes), comma-separated.
 */
export function parseChallenge(header: string | string[] | undefined): Challenge | undefined {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  let basic: Challenge | undefined;
  for (const value of values) {
    for (const { scheme, params } of splitChallenges(value)) {
      if (scheme === "bearer" && params["realm"]) return { scheme, realm: params["realm"], service: params["service"], scope: params["scope"], error: params["error"] };
      if (scheme === "basic") basic ??= { scheme, realm: params["realm"] };
    }
  }
  return basic;
}

function splitChallenges(value: string): { scheme: string; params: Record<string, string> }[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = value.length;
  const skipSpace = () => {
    while (i < n && (value[i] === " " || value[i] === "\t" || value[i] === ",")) i++;
  };
  while (i < n) {
    skipSpace();
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(value[i]!)) i++;
    if (i === start) break;
    const scheme = value.slice(start, i).toLowerCase();
    const params: Record<string, string> = {};
    out.push({ scheme, params });
    for (;;) {
      while (i < n && (value[i] === " " || value[i] === "\t")) i++;
      const save = i;
      while (i < n && value[i] === ",") i++;
      while (i < n && (value[i] === " " || value[i] === "\t")) i++;
      const nameStart = i;
      while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(value[i]!)) i++;
      const name = value.slice(nameStart, i).toLowerCase();
      while (i < n && (value[i] === " " || value[i] === "\t")) i++;
      if (!name || value[i] !== "=") {
        // Not a parameter: the next challenge's scheme (or the end).
        i = save;
        break;
      }
      i++;
      while (i < n && (value[i] === " " || value[i] === "\t")) i++;
      let v = "";
      if (value[i] === '"') {
        i++;
        while (i < n && value[i] !== '"') {
          if (value[i] === "\\" && i + 1 < n) i++;
          v += value[i];
          i++;
        }
        i++;
      } else {
        const vs = i;
        while (i < n && value[i] !== "," && value[i] !== " " && value[i] !== "\t") i++;
        v = value.slice(vs, i);
      }
      params[name] = v;
    }
  }
  return out;
}

/** Milliseconds to wait from a `Retry-After` value (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The target of the `rel="next"` link of a `Link` header, or undefined. */
export function nextLink(value: string | string[] | undefined): string | undefined {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  for (const v of values) {
    for (const part of v.split(/,(?=\s*<)/)) {
      const m = /^\s*<([^>]*)>(.*)$/.exec(part);
      if (m && /;\s*rel="?next"?/i.test(m[2]!)) return m[1];
    }
  }
  return undefined;
}

/** The offset after an upload `Range: 0-<last>` header (`0-0` before any byte in some registries), or undefined. */
export function uploadOffset(range: string | string[] | undefined): number | undefined {
  const v = Array.isArray(range) ? range[0] : range;
  const m = v === undefined ? null : /^(?:bytes=)?0-(\d+)$/.exec(v.trim());
  if (!m) return undefined;
  return Number(m[1]) + 1;
}
