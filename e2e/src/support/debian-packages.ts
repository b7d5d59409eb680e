// What `dpkg-query -W` lists in a Debian root filesystem tarball (from debian-rootfs.ts): its dpkg
// database is extracted to a temporary directory and queried with the host's dpkg-query.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, runOk } from "./exec.js";

/** One package as `dpkg-query -W` reports it. */
export interface DebianPackage {
  name: string;
  version: string;
  source: string;
  sourceVersion: string;
}

export async function installedDebianPackages(tarball: string): Promise<DebianPackage[]> {
  const dir = mkdtempSync(join(tmpdir(), "berth-dpkg-"));
  try {
    await runOk("tar", ["-C", dir, "-xf", tarball, "./var/lib/dpkg"]);
    const r = await run("dpkg-query", [`--admindir=${join(dir, "var/lib/dpkg")}`, "-W", "-f", "${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\n"]);
    if (r.code !== 0) throw new Error(r.describe);
    return r.stdout
      .trim()
      .split("\n")
      .map((l) => l.split("\t"))
      .map(([name, version, source, sourceVersion]) => ({ name: name!, version: version!, source: source || name!, sourceVersion: sourceVersion || version! }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
