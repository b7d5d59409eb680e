/**
 * A finding's severity: from its CVSS vector (computed with ae-cvss-calculator, CVSS 2.0 to 4.0)
 * when the advisory has one, else from the database's or the ecosystem's own rating.
 */
import cvssCalculator from "ae-cvss-calculator";
import type { CvssDetails, Severity } from "@berth/scanning";

// A CommonJS bundle: its classes come off the default export.
const { Cvss2, Cvss3P0, Cvss3P1, Cvss4P0 } = cvssCalculator;

/**
 * CVSS v3/v4 qualitative rating of a base score. CVSS's "None" (0.0) is Negligible: the Pluggable
 * Scanner API's Severity has no None (Unknown, Negligible, Low, Medium, High, Critical).
 */
export function ratingOf(score: number): Severity {
  if (score === 0) return "Negligible";
  if (score < 4) return "Low";
  if (score < 7) return "Medium";
  if (score < 9) return "High";
  return "Critical";
}

function baseScore(vector: string): { version: 2 | 3 | 4; score: number } | undefined {
  try {
    if (vector.startsWith("CVSS:4.0/")) return { version: 4, score: new Cvss4P0(vector).calculateScores().base ?? NaN };
    if (vector.startsWith("CVSS:3.1/")) return { version: 3, score: new Cvss3P1(vector).calculateScores().base ?? NaN };
    if (vector.startsWith("CVSS:3.0/")) return { version: 3, score: new Cvss3P0(vector).calculateScores().base ?? NaN };
    if (/^AV:[LAN]\//.test(vector)) return { version: 2, score: new Cvss2(vector).calculateScores().base ?? NaN };
  } catch {
    return undefined;
  }
  return undefined;
}

/** Words databases use for a rating (GHSA's MODERATE, Debian's urgency, …). */
const WORDS: Record<string, Severity> = {
  critical: "Critical",
  high: "High",
  important: "High",
  moderate: "Medium",
  medium: "Medium",
  low: "Low",
  negligible: "Negligible",
  unimportant: "Negligible",
  none: "Negligible",
};

export function ratingFromWord(word: unknown): Severity | undefined {
  return typeof word === "string" ? WORDS[word.trim().toLowerCase().replace(/\*+$/, "")] : undefined;
}

/**
 * The severity and CVSS details of an advisory: the highest version of CVSS it carries wins; the
 * ratings in `fallbacks` (database, then ecosystem) apply only without a usable vector.
 */
export function severityOf(vectors: readonly { type: string; score: string }[], fallbacks: unknown[]): { severity: Severity; cvss?: CvssDetails } {
  const scored = vectors.map((v) => ({ vector: v.score, result: baseScore(v.score) })).filter((v) => v.result && Number.isFinite(v.result.score));
  scored.sort((a, b) => b.result!.version - a.result!.version);
  const best = scored[0];
  const cvss: CvssDetails = {};
  for (const s of scored) {
    if (s.result!.version === 2 && cvss.vector_v2 === undefined) Object.assign(cvss, { vector_v2: s.vector, score_v2: s.result!.score });
    if (s.result!.version === 3 && cvss.vector_v3 === undefined) Object.assign(cvss, { vector_v3: s.vector, score_v3: s.result!.score });
  }
  if (best) {
    const score = best.result!.score;
    // CVSS 2.0 has no Critical: High from 7.0.
    const severity = best.result!.version === 2 ? (score >= 7 ? "High" : score >= 4 ? "Medium" : score > 0 ? "Low" : "Negligible") : ratingOf(score);
    return { severity, ...(Object.keys(cvss).length && { cvss }) };
  }
  for (const f of fallbacks) {
    const rating = ratingFromWord(f);
    if (rating) return { severity: rating };
  }
  return { severity: "Unknown" };
}
