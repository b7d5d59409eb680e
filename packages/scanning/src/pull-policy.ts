/**
 * `prevent_vul` (ARCHITECTURE.md, shared contracts): whether a manifest GET of an artifact may be
 * served. The registry asks on every GET by tag or digest (never HEAD); core's stores write what
 * it reads (project metadata, scanner registrations, scan reports, allowlists). Raw SQL over the
 * narrow executor: the registry runs without Prisma.
 */
import type { SqlExecutor } from "@berth/db/sql";
import { effectiveAllowlist, SYSTEM_ALLOWLIST_PROJECT_ID, type Allowlist } from "./allowlist.js";
import { VULN_REPORT_MIMES } from "./mime-types.js";
import type { CompactVulnerability } from "./report-types.js";
import { parseSeverity, severityRank, type Severity } from "./severity.js";

/** Harbor's default threshold when `prevent_vul` is on without a `severity`. */
export const DEFAULT_PREVENT_SEVERITY: Severity = "Low";

export type PullDecision =
  | { allowed: true }
  | { allowed: false; reason: "not-scanned" | "scan-failed"; severity: Severity }
  | { allowed: false; reason: "vulnerable"; severity: Severity; cves: string[] };

interface ProjectRow {
  id: number;
  metadata: Record<string, string> | null;
}

/** The project of repository `name` (its first path segment) and its metadata, or `undefined`. */
async function projectOf(db: SqlExecutor, repository: string): Promise<ProjectRow | undefined> {
  const name = repository.split("/")[0]!;
  const rows = await db.$queryRaw<ProjectRow[]>`SELECT id, metadata FROM projects WHERE name = ${name}`;
  return rows[0];
}

async function allowlists(db: SqlExecutor, projectId: number): Promise<{ own?: Allowlist; system?: Allowlist }> {
  const rows = await db.$queryRaw<{ projectId: number; items: string[]; expiresAt: bigint | null }[]>`
    SELECT project_id AS "projectId", items, expires_at AS "expiresAt" FROM cve_allowlists WHERE project_id IN (${projectId}, ${SYSTEM_ALLOWLIST_PROJECT_ID})`;
  const toList = (r: (typeof rows)[number]): Allowlist => ({ items: r.items, expiresAt: r.expiresAt === null ? null : Number(r.expiresAt) });
  const own = rows.find((r) => r.projectId === projectId && projectId !== SYSTEM_ALLOWLIST_PROJECT_ID);
  const system = rows.find((r) => r.projectId === SYSTEM_ALLOWLIST_PROJECT_ID);
  return { ...(own && { own: toList(own) }), ...(system && { system: toList(system) }) };
}

/**
 * Decides a pull of `digest` from `repository`. Allowed unless the project has `prevent_vul`
 * "true"; then the default scanner's vulnerability report must exist and be finished, and no
 * finding at or above the project's `severity` may remain after the allowlist.
 */
export async function decidePull(db: SqlExecutor, repository: string, digest: string, now = new Date()): Promise<PullDecision> {
  const project = await projectOf(db, repository);
  if (!project || project.metadata?.["prevent_vul"] !== "true") return { allowed: true };
  const severity = parseSeverity(project.metadata["severity"] ?? "") ?? DEFAULT_PREVENT_SEVERITY;
  const reports = await db.$queryRaw<{ status: string; vulnerabilities: CompactVulnerability[] | null; mimeType: string }[]>`
    SELECT r.status, r.vulnerabilities, r.mime_type AS "mimeType" FROM scan_reports r
    JOIN scanner_registrations s ON s.uuid = r.registration_uuid AND s.is_default
    WHERE r.digest = ${digest} AND r.mime_type = ANY(${[...VULN_REPORT_MIMES]})`;
  const done = reports.find((r) => r.status === "Success");
  if (!done) {
    const failed = reports.length > 0 && reports.every((r) => r.status === "Error" || r.status === "Stopped");
    return { allowed: false, reason: failed ? "scan-failed" : "not-scanned", severity };
  }
  const lists = await allowlists(db, project.id);
  const allowed = effectiveAllowlist({ reuseSystem: project.metadata["reuse_sys_cve_allowlist"] === "true", own: lists.own }, lists.system, now);
  const threshold = severityRank(severity);
  const blocking = (done.vulnerabilities ?? []).filter((v) => severityRank(v.severity) >= threshold && !allowed.has(v.id.toUpperCase()));
  if (blocking.length === 0) return { allowed: true };
  const cves = [...new Set(blocking.map((v) => v.id))].sort();
  return { allowed: false, reason: "vulnerable", severity, cves };
}

/** Harbor's wording of a refusal (with the CVE ids that block the pull, which Harbor users asked for). */
export function pullRefusalMessage(decision: Exclude<PullDecision, { allowed: true }>): string {
  const policy = `configured policy in 'Prevent images with vulnerability severity of "${decision.severity}" or higher from running.'`;
  if (decision.reason === "not-scanned") return `current image without vulnerability scanning cannot be pulled due to ${policy} To continue with pull, please contact your project administrator for help.`;
  if (decision.reason === "scan-failed") return `current image with vulnerability scanning error cannot be pulled due to ${policy} To continue with pull, please contact your project administrator for help.`;
  if (decision.reason !== "vulnerable") throw new Error("unreachable");
  return (
    `current image with ${decision.cves.length} vulnerabilities (${decision.cves.join(", ")}) cannot be pulled due to ${policy} ` +
    `To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.`
  );
}
