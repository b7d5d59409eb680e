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

/** What `prevent_vul` asks of a project's pulls (only for projects that turned it on). */
export interface ProjectPullPolicy {
  projectId: number;
  severity: Severity;
  reuseSystemAllowlist: boolean;
}

/** The `prevent_vul` policy of the project of repository `name` (its first path segment), or `undefined` when it has none. */
export async function projectPullPolicy(db: SqlExecutor, repository: string): Promise<ProjectPullPolicy | undefined> {
  const name = repository.split("/")[0]!;
  const rows = await db.$queryRaw<{ id: number; metadata: Record<string, string> | null }[]>`SELECT id, metadata FROM projects WHERE name = ${name}`;
  const metadata = rows[0]?.metadata;
  if (!rows[0] || metadata?.["prevent_vul"] !== "true") return undefined;
  return {
    projectId: rows[0].id,
    severity: parseSeverity(metadata["severity"] ?? "") ?? DEFAULT_PREVENT_SEVERITY,
    reuseSystemAllowlist: metadata["reuse_sys_cve_allowlist"] === "true",
  };
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
 * Decides a pull of `digest` under a project's `prevent_vul` policy: the default scanner's
 * vulnerability report must exist and be finished, and no finding at or above the project's
 * severity may remain after the allowlist.
 */
export async function decideUnderPolicy(db: SqlExecutor, policy: ProjectPullPolicy, digest: string, now = new Date()): Promise<PullDecision> {
  const { severity } = policy;
  const reports = await db.$queryRaw<{ status: string; vulnerabilities: CompactVulnerability[] | null; mimeType: string }[]>`
    SELECT r.status, r.vulnerabilities, r.mime_type AS "mimeType" FROM scan_reports r
    JOIN scanner_registrations s ON s.uuid = r.registration_uuid AND s.is_default
    WHERE r.digest = ${digest} AND r.mime_type = ANY(${[...VULN_REPORT_MIMES]})`;
  const done = reports.find((r) => r.status === "Success");
  if (!done) {
    const failed = reports.length > 0 && reports.every((r) => r.status === "Error" || r.status === "Stopped");
    return { allowed: false, reason: failed ? "scan-failed" : "not-scanned", severity };
  }
  const lists = await allowlists(db, policy.projectId);
  const allowed = effectiveAllowlist({ reuseSystem: policy.reuseSystemAllowlist, own: lists.own }, lists.system, now);
  const threshold = severityRank(severity);
  const blocking = (done.vulnerabilities ?? []).filter((v) => severityRank(v.severity) >= threshold && !allowed.has(v.id.toUpperCase()));
  if (blocking.length === 0) return { allowed: true };
  const cves = [...new Set(blocking.map((v) => v.id))].sort();
  return { allowed: false, reason: "vulnerable", severity, cves };
}

/** Decides a pull of `digest` from `repository` (allowed unless its project has `prevent_vul` "true"). */
export async function decidePull(db: SqlExecutor, repository: string, digest: string, now = new Date()): Promise<PullDecision> {
  const policy = await projectPullPolicy(db, repository);
  return policy ? decideUnderPolicy(db, policy, digest, now) : { allowed: true };
}

/**
 * The registry's view of the policy: projects' `prevent_vul` settings are cached for `ttlMs` (a
 * manifest GET of a project without the policy costs no query), reports and allowlists are read
 * fresh. A policy turned on takes effect within `ttlMs`.
 */
export class CachedPullPolicy {
  readonly #projects = new Map<string, { policy: ProjectPullPolicy | undefined; until: number }>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly options: { ttlMs?: number; maxProjects?: number } = {},
  ) {}

  async #policyOf(repository: string): Promise<ProjectPullPolicy | undefined> {
    const project = repository.split("/")[0]!;
    const cached = this.#projects.get(project);
    if (cached && cached.until > Date.now()) return cached.policy;
    const policy = await projectPullPolicy(this.db, repository);
    if (this.#projects.size >= (this.options.maxProjects ?? 10_000)) this.#projects.clear();
    this.#projects.set(project, { policy, until: Date.now() + (this.options.ttlMs ?? 2_000) });
    return policy;
  }

  /** Decides a GET of `digest`; `isImage` says whether the manifest is an image (only images are judged). */
  async decide(repository: string, digest: string, isImage: () => boolean): Promise<PullDecision> {
    const policy = await this.#policyOf(repository);
    if (!policy || !isImage()) return { allowed: true };
    return decideUnderPolicy(this.db, policy, digest);
  }
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
