/**
 * Version order per OSV ecosystem: the comparator matching uses for a package's ecosystem, or
 * `undefined` when Berth cannot order that ecosystem's versions (such advisories are skipped, not
 * guessed). Libraries where a well-kept one exists (semver, PEP 440, Maven); dpkg, rpm and apk
 * here (none maintained on npm).
 */
import { compare as comparePep440, valid as validPep440 } from "@renovatebot/pep440";
import mvncmp from "mvncmp";
import semver from "semver";
import { compareApk } from "./apk-version.js";
import { compareDpkg } from "./dpkg-version.js";
import { compareRpm } from "./rpm-version.js";

export type Comparator = (a: string, b: string) => number;

function toSemver(v: string): string {
  const parsed = semver.valid(v, { loose: true }) ?? semver.coerce(v, { includePrerelease: true })?.version;
  if (!parsed) throw new Error(`not a semantic version: ${v}`);
  return parsed;
}

function compareSemver(a: string, b: string): number {
  return semver.compare(toSemver(a), toSemver(b), { loose: true });
}

const stripV = (v: string) => v.replace(/^v/, "");

function pep440(a: string, b: string): number {
  if (!validPep440(a) || !validPep440(b)) throw new Error(`not a PEP 440 version: ${!validPep440(a) ? a : b}`);
  return comparePep440(a, b);
}

/** The OSV ecosystem's base name: `Debian:12` → `Debian`. */
export function ecosystemBase(ecosystem: string): string {
  return ecosystem.split(":")[0]!;
}

const RPM_ECOSYSTEMS = new Set(["Red Hat", "Rocky Linux", "AlmaLinux", "openSUSE", "SUSE", "Mageia", "openEuler"]);

export function comparatorFor(ecosystem: string): Comparator | undefined {
  const base = ecosystemBase(ecosystem);
  if (base === "Debian" || base === "Ubuntu") return compareDpkg;
  if (base === "Alpine") return compareApk;
  if (RPM_ECOSYSTEMS.has(base)) return compareRpm;
  if (base === "npm") return compareSemver;
  if (base === "Go") return (a, b) => compareSemver(stripV(a), stripV(b));
  if (base === "PyPI") return pep440;
  if (base === "Maven") return (a, b) => mvncmp.compare(a, b);
  return undefined;
}
