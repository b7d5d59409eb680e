import { accessSync, constants, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

/** sbin directories are often missing from a non-root PATH, yet nginx lives there on Debian. */
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of `name` on PATH (or in the usual system directories), or undefined. */
export function findExecutable(name: string, dirs: string[] = []): string | undefined {
  const search = [...dirs, ...(process.env["PATH"] ?? "").split(delimiter), ...EXTRA_DIRS].filter(Boolean);
  for (const dir of search) {
    const file = join(dir, name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

/** Like findExecutable, but throws an error that says how to install the missing package. */
export function requireExecutable(name: string, debianPackage: string, dirs: string[] = []): string {
  const found = findExecutable(name, dirs);
  if (!found) {
    throw new Error(`${name} not found; install it (Debian: apt-get install -y ${debianPackage}) or run scripts/setup.sh as root`);
  }
  return found;
}

/**
 * PostgreSQL's server binaries: `given` (BERTH_PG_BIN_DIR) or the newest /usr/lib/postgresql/<v>/bin
 * (Debian does not put initdb and postgres on the PATH), else the PATH.
 */
export function postgresBinDir(given?: string): string {
  if (given) {
    if (!isExecutable(join(given, "postgres"))) throw new Error(`no postgres executable in ${given}`);
    return given;
  }
  let versions: string[] = [];
  try {
    versions = readdirSync("/usr/lib/postgresql").filter((v) => /^\d+$/.test(v));
  } catch {
    // not Debian's layout
  }
  versions.sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (isExecutable(join(dir, "postgres")) && isExecutable(join(dir, "initdb"))) return dir;
  }
  const initdb = findExecutable("initdb");
  if (initdb && findExecutable("postgres")) return initdb.slice(0, initdb.lastIndexOf("/"));
  throw new Error("PostgreSQL server binaries not found; install them (Debian: apt-get install -y postgresql) or set BERTH_PG_BIN_DIR");
}
