/**
 * Matching an image's packages against the database: each package is looked up under its OSV
 * ecosystem (OS packages by their source package, as distributions publish advisories), every
 * affected entry is evaluated in the ecosystem's version order, and each match becomes one finding
 * in Harbor's shape with its severity, fixed version, links and layer.
 */
import type { CvssDetails, Severity, VulnerabilityItem } from "@berth/scanning";
import { normalizePypiName, type ImagePackage, type OsInfo } from "../analysis/packages.js";
import { evaluateAffected } from "./affected-range.js";
import type { OsvStore, StoredAffected } from "./osv-store.js";
import { severityOf } from "./severity.js";
import { comparatorFor } from "./versions/ecosystem-versions.js";

/** The OSV ecosystem of an OS's packages (`undefined` for OSes OSV does not cover here). */
export function osEcosystem(os: OsInfo | undefined): string | undefined {
  if (!os) return undefined;
  const major = os.versionId.split(".")[0] ?? "";
  switch (os.id) {
    case "debian":
      return os.versionId ? `Debian:${major}` : undefined;
    case "ubuntu":
      return `Ubuntu:${os.versionId}${/LTS/.test(os.version) ? ":LTS" : ""}`;
    case "alpine":
      return `Alpine:v${os.versionId.split(".").slice(0, 2).join(".")}`;
    case "rocky":
      return `Rocky Linux:${major}`;
    case "almalinux":
      return `AlmaLinux:${major}`;
    case "rhel":
      return "Red Hat";
    case "opensuse-leap":
      return `openSUSE:Leap ${os.versionId}`;
    default:
      return undefined;
  }
}

/** Where a package is looked up: its ecosystem, the names to ask for, and the version to compare. */
function lookupOf(p: ImagePackage, os: OsInfo | undefined): { ecosystem: string; names: string[]; version: string } | undefined {
  switch (p.type) {
    case "deb":
    case "apk":
    case "rpm": {
      const ecosystem = osEcosystem(os);
      return ecosystem ? { ecosystem, names: [p.sourceName ?? p.name], version: p.sourceVersion ?? p.version } : undefined;
    }
    case "npm":
      return { ecosystem: "npm", names: [p.name], version: p.version };
    case "pypi":
      return { ecosystem: "PyPI", names: [normalizePypiName(p.name)], version: p.version };
    case "golang":
      return { ecosystem: "Go", names: [p.name], version: p.version };
    case "maven":
      return { ecosystem: "Maven", names: [p.name], version: p.version };
  }
}

/** The id a finding is reported under: the advisory's CVE when it names one, else its own id. */
function reportedId(a: StoredAffected["advisory"]): string {
  if (a.id.startsWith("CVE-")) return a.id;
  return a.aliases.find((x) => x.startsWith("CVE-")) ?? a.id;
}

function linksOf(a: StoredAffected["advisory"]): string[] {
  const urls = (a.references ?? []).map((r) => r.url).filter((u) => /^https?:\/\//.test(u));
  return [...new Set(urls)];
}

export class VulnerabilityMatcher {
  constructor(private readonly store: OsvStore) {}

  async match(packages: readonly ImagePackage[], os: OsInfo | undefined): Promise<VulnerabilityItem[]> {
    const byEcosystem = new Map<string, { pkg: ImagePackage; names: string[]; version: string }[]>();
    for (const pkg of packages) {
      const lookup = lookupOf(pkg, os);
      if (!lookup || !comparatorFor(lookup.ecosystem)) continue;
      const list = byEcosystem.get(lookup.ecosystem) ?? [];
      list.push({ pkg, names: lookup.names, version: lookup.version });
      byEcosystem.set(lookup.ecosystem, list);
    }
    const findings = new Map<string, VulnerabilityItem>();
    for (const [ecosystem, items] of byEcosystem) {
      const compare = comparatorFor(ecosystem)!;
      const candidates = await this.store.candidates(ecosystem, [...new Set(items.flatMap((i) => i.names))]);
      const byName = new Map<string, StoredAffected[]>();
      for (const c of candidates) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
      for (const item of items) {
        for (const entry of item.names.flatMap((n) => byName.get(n) ?? [])) {
          const { affected, fixedVersion } = evaluateAffected(entry, item.version, compare);
          if (!affected) continue;
          const a = entry.advisory;
          const id = reportedId(a);
          const key = `${id}\0${item.pkg.name}\0${item.pkg.version}`;
          if (findings.has(key)) continue;
          const { severity, cvss } = severityOf(a.severity ?? [], [entry.ecosystemSeverity]);
          findings.set(key, finding(item.pkg, id, a, severity, fixedVersion, cvss, ecosystem));
        }
      }
    }
    return [...findings.values()];
  }
}

function finding(pkg: ImagePackage, id: string, a: StoredAffected["advisory"], severity: Severity, fixVersion: string, cvss: CvssDetails | undefined, ecosystem: string): VulnerabilityItem {
  return {
    id,
    package: pkg.name,
    version: pkg.version,
    fix_version: fixVersion,
    severity,
    description: a.details || a.summary,
    links: linksOf(a),
    layer: pkg.layer,
    ...(cvss && { preferred_cvss: cvss }),
    cwe_ids: a.cweIds,
    vendor_attributes: {
      osv_id: a.id,
      aliases: a.aliases,
      ecosystem,
      package_type: pkg.type,
      purl: pkg.purl,
      ...(cvss?.vector_v3 && { CVSS: { osv: { V3Vector: cvss.vector_v3, V3Score: cvss.score_v3 } } }),
    },
  };
}
