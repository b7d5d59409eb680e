// A Debian bookworm root filesystem (`debootstrap --variant=minbase`), built ONCE per day and
// mirror and shared by every test file that needs a real Debian image (scanning, containers):
// cached under the OS temp dir, the build guarded by an exclusive lock file so parallel test
// files never debootstrap twice. The directory is read-only by convention: tar it, never change it.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { run } from "./exec.js";

/** The Debian mirror apt already uses (deb822 `URIs:` or a `deb` line), else deb.debian.org. */
export function debianMirror(): string {
  const files = ["/etc/apt/sources.list", ...(existsSync("/etc/apt/sources.list.d") ? readdirSync("/etc/apt/sources.list.d").map((f) => join("/etc/apt/sources.list.d", f)) : [])];
  for (const file of files) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const uri = /^URIs:\s*(\S+\/debian)\s*$/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+bookworm\b/m.exec(text)?.[1];
    if (uri) return uri;
  }
  return "http://deb.debian.org/debian";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes `lock` (O_EXCL); a lock older than `staleMs` (a crashed builder) is broken. */
async function withLock<T>(lock: string, staleMs: number, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      closeSync(openSync(lock, "wx"));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      try {
        if (Date.now() - statSync(lock).mtimeMs > staleMs) unlinkSync(lock);
      } catch {
        /* released meanwhile */
      }
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * The path of a cached bookworm minbase root filesystem, building it (about 35 s) when today's
 * cache for this mirror does not exist yet.
 */
export async function debianRootfs(): Promise<string> {
  const mirror = debianMirror();
  const day = new Date().toISOString().slice(0, 10);
  const key = createHash("sha256").update(`${mirror} bookworm minbase`).digest("hex").slice(0, 12);
  const base = join(tmpdir(), "berth-debian-rootfs");
  mkdirSync(base, { recursive: true });
  const dir = join(base, `bookworm-minbase-${day}-${key}`);
  const done = join(dir, ".berth-complete");
  if (existsSync(done)) return dir;
  return withLock(`${dir}.lock`, 10 * 60_000, async () => {
    if (existsSync(done)) return dir;
    const building = `${dir}.building`;
    rmSync(building, { recursive: true, force: true });
    const r = await run("debootstrap", ["--variant=minbase", "bookworm", building, mirror], { timeoutMs: 9 * 60_000 });
    if (r.code !== 0) throw new Error(`debootstrap failed: ${r.describe}`);
    writeFileSync(join(building, ".berth-complete"), `${mirror}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(building, dir);
    // Yesterday's caches go (they are about 200 MiB each).
    for (const old of readdirSync(base)) if (old.startsWith("bookworm-minbase-") && !old.startsWith(`bookworm-minbase-${day}`) && !old.endsWith(".lock")) rmSync(join(base, old), { recursive: true, force: true });
    return dir;
  });
}

/** One package as `dpkg-query -W` reports it from the root filesystem's own database. */
export interface DebianPackage {
  name: string;
  version: string;
  source: string;
  sourceVersion: string;
}

/** `dpkg-query -W` run against the root filesystem's own database. */
export async function installedDebianPackages(rootfs: string): Promise<DebianPackage[]> {
  const r = await run("dpkg-query", [`--admindir=${join(rootfs, "var/lib/dpkg")}`, "-W", "-f", "${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\n"]);
  if (r.code !== 0) throw new Error(r.describe);
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => l.split("\t"))
    .map(([name, version, source, sourceVersion]) => ({ name: name!, version: version!, source: source || name!, sourceVersion: sourceVersion || version! }));
}
