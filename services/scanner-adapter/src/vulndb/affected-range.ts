/**
 * Whether a version is affected by one OSV `affected[]` entry, and the version that fixes it —
 * OSV's evaluation: `versions` lists affected versions exactly; each ECOSYSTEM or SEMVER range is
 * a sequence of events (`introduced`, `fixed`, `last_affected`, `limit`) sorted in the
 * ecosystem's order, and a version is affected when the last event at or below it is an
 * `introduced`. GIT ranges name commits, not versions, and are skipped.
 */
import type { OsvRange } from "./osv-record.js";
import type { Comparator } from "./versions/ecosystem-versions.js";

export interface AffectedEntry {
  ranges: OsvRange[];
  versions: string[];
}

export interface Affectedness {
  affected: boolean;
  /** The lowest `fixed` above the version in the range that matched ("" when none). */
  fixedVersion: string;
}

type Event = { kind: "introduced" | "fixed" | "last_affected" | "limit"; version: string };

function eventsOf(range: OsvRange): Event[] {
  const out: Event[] = [];
  for (const e of range.events) {
    for (const kind of ["introduced", "fixed", "last_affected", "limit"] as const) {
      const v = e[kind];
      if (v !== undefined) out.push({ kind, version: v });
    }
  }
  return out;
}

function cmp(compare: Comparator, a: string, b: string): number {
  // "0" is OSV's "the beginning of time" for introduced events.
  if (a === "0") return b === "0" ? 0 : -1;
  if (b === "0") return 1;
  return compare(a, b);
}

export function evaluateAffected(entry: AffectedEntry, version: string, compare: Comparator): Affectedness {
  if (entry.versions.includes(version)) return { affected: true, fixedVersion: "" };
  for (const range of entry.ranges) {
    if (range.type !== "ECOSYSTEM" && range.type !== "SEMVER") continue;
    let events: Event[];
    try {
      events = eventsOf(range).sort((a, b) => cmp(compare, a.version, b.version));
    } catch {
      continue; // a version this ecosystem's order cannot parse: skip the range rather than guess
    }
    let affected = false;
    let limited = false;
    try {
      for (const e of events) {
        const c = cmp(compare, version, e.version);
        if (e.kind === "introduced" && c >= 0) affected = true;
        else if (e.kind === "fixed" && c >= 0) affected = false;
        else if (e.kind === "last_affected" && c > 0) affected = false;
        else if (e.kind === "limit" && c >= 0) limited = true;
      }
    } catch {
      continue;
    }
    if (affected && !limited) {
      const fixed = events.filter((e) => e.kind === "fixed" && cmp(compare, e.version, version) > 0);
      return { affected: true, fixedVersion: fixed[0]?.version ?? "" };
    }
  }
  return { affected: false, fixedVersion: "" };
}
