/** Alpine packages: `lib/apk/db/installed` (`P:` name, `V:` version, `A:` arch, `L:` license, `o:` origin). */
import type { FoundPackage } from "../packages.js";

export const isApkDatabase = (path: string) => path === "lib/apk/db/installed";

export function parseApkDatabase(_path: string, content: Buffer): FoundPackage[] {
  const out: FoundPackage[] = [];
  for (const block of content.toString("utf8").split(/\n\s*\n/)) {
    const f: Record<string, string> = {};
    for (const line of block.split("\n")) {
      const m = /^([A-Za-z]):(.*)$/.exec(line);
      if (m && f[m[1]!] === undefined) f[m[1]!] = m[2]!;
    }
    if (!f["P"] || !f["V"]) continue;
    out.push({ type: "apk", name: f["P"], version: f["V"], sourceName: f["o"] || f["P"], sourceVersion: f["V"], arch: f["A"], license: f["L"] });
  }
  return out;
}
