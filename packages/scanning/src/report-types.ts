/** The report shapes of the Pluggable Scanner API that Berth produces (adapter) and reads (core, registry). */
import type { Severity } from "./severity.js";

/** The scanned artifact, as the scan request names it. */
export interface ScanArtifact {
  repository: string;
  digest: string;
  tag?: string | undefined;
  mime_type?: string | undefined;
}

export interface ScannerInfo {
  name: string;
  vendor: string;
  version: string;
}

/** CVSS details of a vulnerability (Harbor's `CVSSDetails`). */
export interface CvssDetails {
  score_v3?: number;
  score_v2?: number;
  vector_v3?: string;
  vector_v2?: string;
}

/** One finding (Harbor's `VulnerabilityItem`; `layer` as Harbor's Trivy adapter adds it). */
export interface VulnerabilityItem {
  id: string;
  package: string;
  version: string;
  fix_version: string;
  severity: Severity;
  description: string;
  links: string[];
  layer?: { digest: string; diff_id: string } | undefined;
  preferred_cvss?: CvssDetails | undefined;
  cwe_ids: string[];
  vendor_attributes: Record<string, unknown>;
}

/** Harbor's `HarborVulnerabilityReport`. */
export interface HarborVulnerabilityReport {
  generated_at: string;
  artifact: ScanArtifact;
  scanner: ScannerInfo;
  severity: Severity;
  vulnerabilities: VulnerabilityItem[];
}

/** Harbor's `HarborSbomReport`. */
export interface HarborSbomReport {
  generated_at: string;
  artifact: ScanArtifact;
  scanner: ScannerInfo;
  vendor_attributes: Record<string, unknown>;
  media_type: string;
  sbom: Record<string, unknown>;
}

/** What policies read of a report: one entry per finding. */
export interface CompactVulnerability {
  id: string;
  severity: Severity;
  fixable: boolean;
}

/** Harbor's scan overview `summary`. */
export interface VulnerabilitySummary {
  total: number;
  fixable: number;
  summary: Partial<Record<Severity, number>>;
}

/** The compact list and the summary of a vulnerability report. */
export function summarize(report: Pick<HarborVulnerabilityReport, "vulnerabilities">): { vulnerabilities: CompactVulnerability[]; summary: VulnerabilitySummary } {
  const vulnerabilities = report.vulnerabilities.map((v) => ({ id: v.id, severity: v.severity, fixable: v.fix_version !== "" }));
  const counts: Partial<Record<Severity, number>> = {};
  for (const v of vulnerabilities) counts[v.severity] = (counts[v.severity] ?? 0) + 1;
  return { vulnerabilities, summary: { total: vulnerabilities.length, fixable: vulnerabilities.filter((v) => v.fixable).length, summary: counts } };
}
