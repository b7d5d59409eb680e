// Types and reads of the administration pages and the artifact page's security parts (scanners,
// scan-all, CVE allowlist, labels, user groups, vulnerabilities, SBOMs, accessories). Shapes are
// Harbor's, from the generated swagger types (types.ts explains).
import { useQuery } from "@tanstack/react-query";
import type { definitions } from "./harbor.gen";
import { artifactsPath, json, page, text } from "./client.js";

type Defs = definitions;
export type ScannerRegistration = Defs["ScannerRegistration"];
export type ScanAllStats = Defs["Stats"];
export type CveAllowlist = Defs["CVEAllowlist"];
export type Label = Defs["Label"];
export type UserGroup = Defs["UserGroup"];
export type Accessory = Defs["Accessory"];
export type ScanOverview = Defs["ScanOverview"];
export type ReportSummary = Defs["NativeReportSummary"];

/** One finding of the vulnerabilities addition (Harbor's `VulnerabilityItem`). */
export interface Vulnerability {
  id: string;
  package: string;
  version: string;
  fix_version?: string;
  severity: string;
  description?: string;
  links?: string[];
}

/** The vulnerabilities addition: `{ <report mime type>: report }`. */
export type VulnerabilityReports = Record<string, { generated_at?: string; scanner?: { name?: string; version?: string }; severity?: string; vulnerabilities?: Vulnerability[] | null }>;

/** Severities, worst first (Harbor's names). */
export const SEVERITIES = ["Critical", "High", "Medium", "Low", "Unknown"] as const;
/** The severity bar's colours (no text on them) and the badges' (light variants: the theme keeps their text readable). */
export const SEVERITY_COLOR: Record<string, string> = { Critical: "red.9", High: "orange.7", Medium: "yellow.6", Low: "blue.4", Unknown: "gray.5" };
export const SEVERITY_BADGE: Record<string, string> = { Critical: "red", High: "orange", Medium: "yellow", Low: "blue", Unknown: "gray" };

/** Harbor's user group types. */
export const GROUP_TYPES = { ldap: 1, http: 2, oidc: 3 } as const;

export const adminKeys = {
  scanners: ["scanners"] as const,
  scanAll: ["scan-all"] as const,
  allowlist: ["system-allowlist"] as const,
  labels: ["labels", "g"] as const,
  groups: ["usergroups"] as const,
};

export function useScanners() {
  return useQuery({ queryKey: adminKeys.scanners, queryFn: () => json<ScannerRegistration[]>("/scanners", { query: { page_size: 100 } }) });
}

/** The vulnerabilities addition of an artifact, read once its scan (`scanStatus`) succeeded. */
export function useVulnerabilities(project: string, repository: string, reference: string, scanStatus: string | undefined) {
  return useQuery({
    queryKey: ["artifacts", project, repository, reference, "vulnerabilities", scanStatus],
    enabled: scanStatus === "Success",
    queryFn: () => json<VulnerabilityReports>(`${artifactsPath(project, repository)}/${reference}/additions/vulnerabilities`),
  });
}

/** A page of an artifact's accessories (its referrers). */
export function useAccessories(project: string, repository: string, reference: string, pageNo = 1, pageSize = 20) {
  return useQuery({
    queryKey: ["artifacts", project, repository, reference, "accessories", pageNo],
    queryFn: () => page<Accessory>(`${artifactsPath(project, repository)}/${reference}/accessories`, { page: pageNo, page_size: pageSize }),
  });
}

/** The SBOM document of an SBOM accessory (or of an image's newest SBOM), as text. */
export function sbomDocument(project: string, repository: string, reference: string): Promise<string> {
  return text(`${artifactsPath(project, repository)}/${reference}/additions/sbom`);
}
