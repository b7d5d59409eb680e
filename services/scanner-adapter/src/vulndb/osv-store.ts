/**
 * The adapter's vulnerability database in PostgreSQL (`vuln_advisories`, `vuln_affected`,
 * `vuln_db_imports`): every write goes through here. An imported record replaces the stored one
 * with the same id, affected entries included; withdrawn records are kept and never matched.
 */
import type { Prisma, PrismaClient } from "@berth/db";
import type { OsvRange, OsvRecord } from "./osv-record.js";
import { cweIdsOf } from "./osv-record.js";
import { normalizePypiName } from "../analysis/packages.js";
import { ecosystemBase } from "./versions/ecosystem-versions.js";

/** An affected entry with its advisory, as matching reads it. */
export interface StoredAffected {
  advisoryId: string;
  ecosystem: string;
  name: string;
  ranges: OsvRange[];
  versions: string[];
  ecosystemSeverity: string;
  advisory: {
    id: string;
    summary: string;
    details: string;
    aliases: string[];
    severity: { type: string; score: string }[] | null;
    references: { type?: string; url: string }[] | null;
    cweIds: string[];
    databaseSeverity: string;
  };
}

const date = (s: string | undefined) => {
  if (!s) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
};

/** A rating word an affected entry carries (GHSA-style `severity`, Debian's `urgency`). */
function ecosystemRating(specific: Record<string, unknown> | undefined): string {
  for (const key of ["severity", "urgency"]) {
    const v = specific?.[key];
    if (typeof v === "string") return v;
  }
  return "";
}

export class OsvStore {
  constructor(private readonly db: PrismaClient) {}

  /** Replaces (or adds) `records`, in one transaction. */
  async upsert(records: readonly OsvRecord[], source: string): Promise<void> {
    if (records.length === 0) return;
    const ids = records.map((r) => r.id);
    await this.db.$transaction(
      async (tx) => {
        await tx.vulnAdvisory.deleteMany({ where: { id: { in: ids } } });
        await tx.vulnAdvisory.createMany({
          data: records.map((r) => ({
            id: r.id,
            summary: r.summary ?? "",
            details: r.details ?? "",
            aliases: r.aliases ?? [],
            modified: date(r.modified),
            published: date(r.published),
            withdrawn: date(r.withdrawn),
            severity: (r.severity ?? []) as Prisma.InputJsonArray,
            references: (r.references ?? []) as Prisma.InputJsonArray,
            cweIds: cweIdsOf(r),
            source,
          })),
        });
        const affected = records.flatMap((r) =>
          (r.affected ?? [])
            .filter((a) => a.package)
            .map((a) => ({
              advisoryId: r.id,
              ecosystem: a.package!.ecosystem,
              // PyPI names compare by their PEP 503 normal form (Django = django).
              name: ecosystemBase(a.package!.ecosystem) === "PyPI" ? normalizePypiName(a.package!.name) : a.package!.name,
              ranges: (a.ranges ?? []) as Prisma.InputJsonArray,
              versions: a.versions ?? [],
              // GHSA rates the advisory as a whole in database_specific.severity.
              ecosystemSeverity: ecosystemRating(a.ecosystem_specific) || ecosystemRating(r.database_specific ?? undefined),
            })),
        );
        if (affected.length) await tx.vulnAffected.createMany({ data: affected });
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
  }

  /** Affected entries for packages `names` of `ecosystem` (not withdrawn). */
  async candidates(ecosystem: string, names: readonly string[]): Promise<StoredAffected[]> {
    if (names.length === 0) return [];
    const rows = await this.db.vulnAffected.findMany({
      where: { ecosystem, name: { in: [...names] }, advisory: { withdrawn: null } },
      include: { advisory: true },
    });
    return rows.map((r) => ({
      advisoryId: r.advisoryId,
      ecosystem: r.ecosystem,
      name: r.name,
      ranges: r.ranges as OsvRange[],
      versions: r.versions,
      ecosystemSeverity: r.ecosystemSeverity,
      advisory: {
        id: r.advisory.id,
        summary: r.advisory.summary,
        details: r.advisory.details,
        aliases: r.advisory.aliases,
        severity: r.advisory.severity as { type: string; score: string }[] | null,
        references: r.advisory.references as { type?: string; url: string }[] | null,
        cweIds: r.advisory.cweIds,
        databaseSeverity: r.ecosystemSeverity,
      },
    }));
  }

  /** How many advisories are stored and when the last import finished. */
  async status(): Promise<{ advisories: number; updatedAt: Date | null }> {
    const [advisories, last] = await Promise.all([
      this.db.vulnAdvisory.count(),
      this.db.vulnDbImport.findFirst({ where: { status: "Success" }, orderBy: { finishedAt: "desc" }, select: { finishedAt: true } }),
    ]);
    return { advisories, updatedAt: last?.finishedAt ?? null };
  }

  /** Records the start of an import; `undefined` when another import started within `leaseMs`. */
  async beginImport(source: string, leaseMs: number): Promise<bigint | undefined> {
    return this.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(7365627)`;
      const running = await tx.vulnDbImport.findFirst({ where: { status: "Running", startedAt: { gt: new Date(Date.now() - leaseMs) } } });
      if (running) return undefined;
      return (await tx.vulnDbImport.create({ data: { source }, select: { id: true } })).id;
    });
  }

  async endImport(id: bigint, outcome: { status: "Success" | "Error"; advisories: number; message?: string }): Promise<void> {
    await this.db.vulnDbImport.update({
      where: { id },
      data: { status: outcome.status, advisories: outcome.advisories, message: (outcome.message ?? "").slice(0, 2000), finishedAt: new Date() },
    });
  }
}
