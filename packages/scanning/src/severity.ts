/** Severities of the Pluggable Scanner API, lowest first, and how Harbor's project setting names them. */

export const SEVERITIES = ["Unknown", "None", "Negligible", "Low", "Medium", "High", "Critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The rank of `s` (higher is worse); an unrecognised value ranks as Unknown. */
export function severityRank(s: string): number {
  const i = SEVERITIES.indexOf(s as Severity);
  return i < 0 ? 0 : i;
}

/** The worse of two severities. */
export function worse(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

/** A severity from any casing (`high` → `High`), or `undefined`. */
export function parseSeverity(value: string): Severity | undefined {
  return SEVERITIES.find((s) => s.toLowerCase() === value.trim().toLowerCase());
}
