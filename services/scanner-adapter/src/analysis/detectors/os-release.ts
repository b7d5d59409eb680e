/** The OS from `etc/os-release` or `usr/lib/os-release` (Debian's `/etc/os-release` is a symlink to the latter). */
import type { OsInfo } from "../packages.js";

export const OS_RELEASE_PATHS = ["etc/os-release", "usr/lib/os-release"];

export function parseOsRelease(content: Buffer): OsInfo | undefined {
  const f: Record<string, string> = {};
  for (const line of content.toString("utf8").split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) f[m[1]!] = m[2]!.replace(/^["']|["']$/g, "");
  }
  if (!f["ID"]) return undefined;
  return { id: f["ID"], versionId: f["VERSION_ID"] ?? "", version: f["VERSION"] ?? "", prettyName: f["PRETTY_NAME"] ?? f["ID"] };
}
