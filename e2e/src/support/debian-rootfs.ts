// Debian bookworm's root filesystem, made here because there is no public image registry to pull
// `debian:bookworm-slim` from: `debootstrap --variant=minbase` from the mirror apt already uses,
// trimmed and configured as Debian's official slim image is (no docs, man pages or locales; apt
// drops downloaded packages and its caches), as a tarball for `docker import`. Made once and kept
// in a cache folder (keyed by what it is made from); the image tests of other services (the
// scanner's) use the same one through this helper.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, runOk } from "./exec.js";

export const DEBIAN_SUITE = "bookworm";
/** Rebuilt after this long, so security updates arrive. */
const MAX_AGE_MS = 14 * 24 * 3600 * 1000;
/** Bump when the recipe below changes. */
const RECIPE = "2";

/** Where test caches live: BERTH_TEST_CACHE_DIR, else `<tmp>/berth-test-cache`. */
export function testCacheDir(): string {
  const dir = process.env["BERTH_TEST_CACHE_DIR"] || join(tmpdir(), "berth-test-cache");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The mirrors apt uses here: the main archive and the security archive (BERTH_DEBIAN_MIRROR overrides the first). */
export function aptMirrors(): { main: string; security: string } {
  const found: { uri: string; suites: string[] }[] = [];
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return "";
    }
  };
  for (const line of read("/etc/apt/sources.list").split("\n")) {
    const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (m) found.push({ uri: m[1]!, suites: [m[2]!] });
  }
  let dir: string[] = [];
  try {
    dir = readdirSync("/etc/apt/sources.list.d");
  } catch {
    // none
  }
  for (const name of dir.filter((n) => n.endsWith(".sources"))) {
    for (const stanza of read(join("/etc/apt/sources.list.d", name)).split(/\n\s*\n/)) {
      const field = (key: string) => new RegExp(`^${key}:\\s*(.+)$`, "mi").exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
      if (!field("Types").includes("deb")) continue;
      for (const uri of field("URIs")) found.push({ uri, suites: field("Suites") });
    }
  }
  const main = process.env["BERTH_DEBIAN_MIRROR"] || found.find((f) => f.suites.includes(DEBIAN_SUITE))?.uri || "http://deb.debian.org/debian";
  const security = found.find((f) => f.suites.includes(`${DEBIAN_SUITE}-security`))?.uri || "http://deb.debian.org/debian-security";
  return { main: main.replace(/\/+$/, ""), security: security.replace(/\/+$/, "") };
}

const APT_CONF: Record<string, string> = {
  "docker-clean": [
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'Dir::Cache::pkgcache "";',
    'Dir::Cache::srcpkgcache "";',
  ].join("\n"),
  "docker-no-languages": 'Acquire::Languages "none";',
  "docker-gzip-indexes": 'Acquire::GzipIndexes "true";\nAcquire::CompressionTypes::Order:: "gz";',
  "docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";',
};

const DPKG_EXCLUDES = [
  "path-exclude /usr/share/doc/*",
  "path-include /usr/share/doc/*/copyright",
  "path-exclude /usr/share/man/*",
  "path-exclude /usr/share/groff/*",
  "path-exclude /usr/share/info/*",
  "path-exclude /usr/share/lintian/*",
  "path-exclude /usr/share/linda/*",
  "path-exclude /usr/share/locale/*",
  "path-include /usr/share/locale/locale.alias",
].join("\n");

/** Makes the slim root filesystem in `root` (empty) and returns when done. */
async function bootstrap(root: string, mirrors: { main: string; security: string }): Promise<void> {
  const r = await run("debootstrap", ["--variant=minbase", DEBIAN_SUITE, root, mirrors.main], { timeoutMs: 15 * 60_000 });
  if (r.code !== 0) throw new Error(`debootstrap failed (install it: apt-get install -y debootstrap):\n${r.describe}`);
  // As the official slim image is made: nothing installed later brings docs, man pages or
  // locales, and apt keeps no downloaded packages or caches in the layers.
  writeFileSync(join(root, "etc/dpkg/dpkg.cfg.d/docker"), `${DPKG_EXCLUDES}\n`);
  for (const [name, text] of Object.entries(APT_CONF)) writeFileSync(join(root, "etc/apt/apt.conf.d", name), `${text}\n`);
  rmSync(join(root, "etc/apt/sources.list"), { force: true });
  writeFileSync(
    join(root, "etc/apt/sources.list.d/debian.sources"),
    [
      `Types: deb\nURIs: ${mirrors.main}\nSuites: ${DEBIAN_SUITE} ${DEBIAN_SUITE}-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg`,
      `Types: deb\nURIs: ${mirrors.security}\nSuites: ${DEBIAN_SUITE}-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg`,
    ].join("\n\n") + "\n",
  );
  await runOk("sh", [
    "-c",
    [
      "set -e",
      `cd '${root}'`,
      "rm -rf var/cache/apt/*.bin var/cache/apt/archives/*.deb var/lib/apt/lists/* usr/share/doc/* usr/share/man/* usr/share/info/*",
      "find usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +",
      // Docker provides these per container; debootstrap copied the host's.
      "rm -f etc/hostname etc/machine-id var/lib/dbus/machine-id",
      ": > etc/resolv.conf",
    ].join("\n"),
  ]);
}

let pending: Promise<string> | undefined;

/**
 * The path of a tarball of Debian bookworm's slim root filesystem (made with debootstrap on first
 * use, ~35 s, then cached for 14 days). Import it with `docker import --change 'CMD ["bash"]'`.
 */
export function debianRootfs(): Promise<string> {
  pending ??= (async () => {
    const mirrors = aptMirrors();
    const key = createHash("sha256").update(JSON.stringify({ RECIPE, suite: DEBIAN_SUITE, mirrors })).digest("hex").slice(0, 16);
    const tarball = join(testCacheDir(), `debian-${DEBIAN_SUITE}-slim-${key}.tar`);
    if (existsSync(tarball) && Date.now() - statSync(tarball).mtimeMs < MAX_AGE_MS) return tarball;
    const work = mkdtempSync(join(testCacheDir(), "debootstrap-"));
    try {
      const root = join(work, "rootfs");
      await bootstrap(root, mirrors);
      await runOk("tar", ["-C", root, "--numeric-owner", "-cf", join(work, "rootfs.tar"), "."], { timeoutMs: 10 * 60_000 });
      // Atomic: a concurrent test run sees the old file or the new one, never half of one.
      renameSync(join(work, "rootfs.tar"), tarball);
      return tarball;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  })();
  pending.catch(() => (pending = undefined));
  return pending;
}
