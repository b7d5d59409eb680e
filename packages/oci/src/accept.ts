/**
 * `Accept` header parsing and manifest content negotiation.
 *
 * Berth never converts manifests (no schema 1 down-conversion, no picking a platform out of a list),
 * so negotiation can only decide whether to serve the stored bytes or refuse. Two policies:
 *
 * - `"lenient"` (default): always serve the stored manifest with its own `Content-Type`, even when
 *   the client's `Accept` does not list it. RFC 9110 section 12.5.1 lets a server disregard `Accept`
 *   instead of answering 406, the spec only says clients SHOULD send `Accept`, and clients check the
 *   returned `Content-Type` themselves. `acceptable` tells the caller whether the client asked for it.
 * - `"distribution"`: CNCF Distribution v3 parity. An OCI image manifest or OCI index is refused unless
 *   the client explicitly lists its media type (wildcards do not count); Distribution answers
 *   MANIFEST_UNKNOWN (404) with "OCI manifest found, but accept header does not support OCI
 *   manifests". Docker schema 2 manifests and manifest lists are always served (Distribution would
 *   rewrite a list to its linux/amd64 child for old clients; Berth serves the list as stored).
 *   Difference: an entry with `q=0` counts as not listed (Distribution ignores q-values).
 *
 * @packageDocumentation
 */
import { OCI_INDEX, OCI_MANIFEST } from "./media-types.js";

/** One media range of an `Accept` header. */
export interface AcceptEntry {
  /** Lower-cased type, or `*`. */
  readonly type: string;
  /** Lower-cased subtype, or `*`. */
  readonly subtype: string;
  /** Quality, 0 … 1 (default 1). */
  readonly q: number;
}

/**
 * Parses one or more `Accept` header values (a Node `IncomingHttpHeaders["accept"]` or the list of
 * raw values) into entries sorted by descending q (stable). Malformed elements are skipped; a bare
 * `*` (sent by some Java clients) is read as `*\/*`. Commas inside quoted parameter values are honoured.
 */
export function parseAccept(headers: string | readonly string[] | undefined | null): AcceptEntry[] {
  if (headers == null) return [];
  const values = typeof headers === "string" ? [headers] : headers;
  const entries: AcceptEntry[] = [];
  for (const value of values) {
    for (const element of splitOutsideQuotes(value, ",")) {
      const entry = parseElement(element);
      if (entry !== undefined) entries.push(entry);
    }
  }
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => b.entry.q - a.entry.q || a.index - b.index)
    .map(({ entry }) => entry);
}

function parseElement(element: string): AcceptEntry | undefined {
  const [range = "", ...params] = splitOutsideQuotes(element, ";").map((s) => s.trim());
  if (range === "") return undefined;
  const parts = range === "*" ? ["*", "*"] : range.toLowerCase().split("/");
  const [type, subtype] = parts;
  if (parts.length !== 2 || !type || !subtype || (type === "*" && subtype !== "*")) return undefined;
  let q = 1;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== "q") continue;
    q = Number(param.slice(eq + 1).trim());
    if (!Number.isFinite(q) || q < 0 || q > 1) return undefined;
  }
  return { type, subtype, q };
}

function splitOutsideQuotes(value: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (quoted && ch === "\\" && i + 1 < value.length) {
      current += ch + value[++i];
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/**
 * The quality the client gives `mediaType`: the q of the most specific matching range
 * (`type/subtype` over `type/*` over `*\/*`, highest q among equals); 0 when nothing matches;
 * 1 when there are no entries (no `Accept` header means anything is acceptable).
 */
export function acceptQuality(entries: readonly AcceptEntry[], mediaType: string): number {
  if (entries.length === 0) return 1;
  const [type = "", subtype = ""] = mediaType.toLowerCase().split(";", 1)[0]!.trim().split("/");
  let best = -1;
  let quality = 0;
  for (const entry of entries) {
    const specificity =
      entry.type === type && entry.subtype === subtype ? 2
      : entry.type === type && entry.subtype === "*" ? 1
      : entry.type === "*" ? 0
      : -1;
    if (specificity < 0 || specificity < best) continue;
    quality = specificity > best ? entry.q : Math.max(quality, entry.q);
    best = specificity;
  }
  return quality;
}

/** True when `mediaType` has a quality above 0 for these entries. */
export function isAcceptable(entries: readonly AcceptEntry[], mediaType: string): boolean {
  return acceptQuality(entries, mediaType) > 0;
}

/** True when `mediaType` is listed literally (no wildcard) with q above 0. */
export function isExplicitlyAccepted(entries: readonly AcceptEntry[], mediaType: string): boolean {
  const [type, subtype] = mediaType.toLowerCase().split("/");
  return entries.some((e) => e.type === type && e.subtype === subtype && e.q > 0);
}

/** How the registry treats a stored manifest the client did not ask for; see the module docs. */
export type ManifestAcceptPolicy = "lenient" | "distribution";

/** Outcome of {@link negotiateManifest}. */
export type ManifestNegotiation =
  /** Serve the stored bytes with the stored media type. `acceptable`: the client's Accept allows it. */
  | { readonly outcome: "serve"; readonly acceptable: boolean }
  /** Refuse; Distribution parity is MANIFEST_UNKNOWN (404) with `message`. */
  | { readonly outcome: "not-acceptable"; readonly message: string };

/**
 * Decides whether to serve a stored manifest of `storedMediaType` to a client sending `accept`
 * (raw header value(s) or parsed entries).
 */
export function negotiateManifest(
  storedMediaType: string,
  accept: string | readonly string[] | readonly AcceptEntry[] | undefined | null,
  policy: ManifestAcceptPolicy = "lenient",
): ManifestNegotiation {
  const entries = toEntries(accept);
  if (policy === "distribution") {
    if (storedMediaType === OCI_MANIFEST && !isExplicitlyAccepted(entries, OCI_MANIFEST)) {
      return { outcome: "not-acceptable", message: "OCI manifest found, but accept header does not support OCI manifests" };
    }
    if (storedMediaType === OCI_INDEX && !isExplicitlyAccepted(entries, OCI_INDEX)) {
      return { outcome: "not-acceptable", message: "OCI index found, but accept header does not support OCI indexes" };
    }
  }
  return { outcome: "serve", acceptable: isAcceptable(entries, storedMediaType) };
}

function toEntries(accept: string | readonly string[] | readonly AcceptEntry[] | undefined | null): readonly AcceptEntry[] {
  if (accept == null || typeof accept === "string") return parseAccept(accept);
  if (accept.length === 0) return [];
  return typeof accept[0] === "string" ? parseAccept(accept as readonly string[]) : (accept as readonly AcceptEntry[]);
}
