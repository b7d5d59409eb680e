/** Debian packages: `var/lib/dpkg/status` (installed ones only) and distroless `var/lib/dpkg/status.d/*`. */
import type { FoundPackage } from "../packages.js";

export function isDpkgDatabase(path: string): boolean {
  return path === "var/lib/dpkg/status" || (path.startsWith("var/lib/dpkg/status.d/") && !path.endsWith(".md5sums") && path.split("/").length === 5);
}

/** Stanzas of a control file: `Field: value` with continuation lines, blank-line separated. */
export function parseControlStanzas(text: string): Record<string, string>[] {
  const stanzas: Record<string, string>[] = [];
  let current: Record<string, string> = {};
  let last = "";
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      if (Object.keys(current).length) stanzas.push(current);
      current = {};
      last = "";
    } else if (/^[ \t]/.test(line)) {
      if (last) current[last] += `\n${line.trim()}`;
    } else {
      const colon = line.indexOf(":");
      if (colon > 0) {
        last = line.slice(0, colon).trim();
        current[last] = line.slice(colon + 1).trim();
      }
    }
  }
  if (Object.keys(current).length) stanzas.push(current);
  return stanzas;
}

export function parseDpkgDatabase(path: string, content: Buffer): FoundPackage[] {
  const fromStatusFile = path === "var/lib/dpkg/status";
  return parseControlStanzas(content.toString("utf8"))
    .filter((s) => s["Package"] && s["Version"] && (!fromStatusFile || /\binstalled$/.test(s["Status"] ?? "")))
    .map((s) => {
      const source = /^(\S+)(?:\s+\((\S+)\))?/.exec(s["Source"] ?? "");
      return {
        type: "deb" as const,
        name: s["Package"]!,
        version: s["Version"]!,
        sourceName: source?.[1] ?? s["Package"]!,
        sourceVersion: source?.[2] ?? s["Version"]!,
        arch: s["Architecture"],
      };
    });
}
