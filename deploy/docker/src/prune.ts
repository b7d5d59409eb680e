/**
 * Trims a `pnpm deploy --prod` folder to what the program runs:
 * - packages reachable only through `dropPackages` (the Prisma CLI, ~200 MB with its
 *   dependencies, is needed only by the `prepare` image, which runs the migrations);
 * - `@types/*` packages, declarations, source maps and build info;
 * - in Berth's own packages: `src/`, tsconfig files and compiled tests;
 * - `@prisma/client`'s query compilers for databases other than PostgreSQL (Berth's schema names
 *   `postgresql`; the others are ~40 MB).
 * Reachability is read from pnpm's layout on disk (`node_modules/.pnpm/<id>/node_modules/*`
 * links), not from names. Only deletes: pnpm hard-links files from its store, so nothing here may
 * be edited in place.
 */
import { lstatSync, readdirSync, readlinkSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const UNUSED_FILE = /\.(?:d\.ts|d\.mts|d\.cts|map|tsbuildinfo)$/;
const OWN_TEST_FILE = /\.(?:test|test-helpers)\.js$/;
const OWN_BUILD_INPUTS = ["src", "tsconfig.json", "tsconfig.tsbuildinfo"];
const OTHER_PRISMA_RUNTIME = /^(?:query_compiler_(?:fast|small)_bg\.(?:cockroachdb|mysql|sqlite|sqlserver)\.|wasm-compiler-edge\.)/;

export interface PruneOptions {
  /** Package names whose subtrees are left out (unless something else also needs a package). */
  dropPackages?: readonly string[];
}

export interface PruneReport {
  files: number;
  bytes: number;
  /** `.pnpm` entries removed because nothing needed them. */
  packages: string[];
}

const list = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

function remove(path: string, report: PruneReport): void {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isDirectory()) {
    for (const name of list(path)) remove(join(path, name), report);
    rmSync(path, { recursive: true, force: true });
    return;
  }
  report.files++;
  if (!stat.isSymbolicLink()) report.bytes += stat.size;
  rmSync(path, { force: true });
}

/** `node_modules/<name>` and `node_modules/@scope/<name>` entries of a folder: [package name, path]. */
function packageEntries(nodeModules: string): [string, string][] {
  return list(nodeModules)
    .filter((n) => !n.startsWith("."))
    .flatMap((n): [string, string][] =>
      n.startsWith("@") ? list(join(nodeModules, n)).map((m): [string, string] => [`${n}/${m}`, join(nodeModules, n, m)]) : [[n, join(nodeModules, n)]],
    );
}

/** The `.pnpm/<id>` folder a link points into, or undefined. */
function storeEntryOf(link: string, store: string): string | undefined {
  let target: string;
  try {
    target = resolve(dirname(link), readlinkSync(link));
  } catch {
    return undefined;
  }
  const rel = relative(store, target);
  if (rel.startsWith("..") || rel === "") return undefined;
  return rel.split(sep)[0];
}

/** Removes `.pnpm` entries nothing reaches from the program without going through `drop`. */
function dropUnreachable(appDir: string, drop: ReadonlySet<string>, report: PruneReport): void {
  const store = join(appDir, "node_modules", ".pnpm");
  const reached = new Set<string>();
  const queue: string[] = [];
  const follow = (links: [string, string][]) => {
    for (const [name, path] of links) {
      if (drop.has(name)) continue;
      const id = storeEntryOf(path, store);
      if (id && !reached.has(id)) {
        reached.add(id);
        queue.push(id);
      }
    }
  };
  follow(packageEntries(join(appDir, "node_modules")));
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) follow(packageEntries(join(store, id, "node_modules")));
  for (const id of list(store)) {
    // .pnpm/node_modules holds pnpm's hoisted links (packages that use undeclared dependencies).
    if (id === "node_modules" || reached.has(id) || !lstatSync(join(store, id)).isDirectory()) continue;
    report.packages.push(id);
    remove(join(store, id), report);
  }
  // Links into what was removed.
  const dangling = (dir: string) => {
    for (const [, path] of packageEntries(dir)) {
      if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() && !statSync(path, { throwIfNoEntry: false })) rmSync(path, { force: true });
    }
  };
  dangling(join(appDir, "node_modules"));
  dangling(join(store, "node_modules"));
  for (const id of list(store)) dangling(join(store, id, "node_modules"));
}

function walk(dir: string, visit: (path: string, name: string, isDir: boolean) => boolean): void {
  for (const name of list(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat || visit(path, name, stat.isDirectory())) continue;
    if (stat.isDirectory()) walk(path, visit);
  }
}

/** Prunes `appDir` (the output of `pnpm deploy --prod`) in place. */
export function pruneDeployment(appDir: string, options: PruneOptions = {}): PruneReport {
  const report: PruneReport = { files: 0, bytes: 0, packages: [] };
  dropUnreachable(appDir, new Set(options.dropPackages ?? []), report);
  const store = join(appDir, "node_modules", ".pnpm");
  const ownRoots = [
    appDir,
    ...list(store)
      .filter((id) => id.startsWith("@berth+"))
      .flatMap((id) => list(join(store, id, "node_modules", "@berth")).map((pkg) => join(store, id, "node_modules", "@berth", pkg))),
  ];
  for (const root of ownRoots) {
    for (const name of OWN_BUILD_INPUTS) remove(join(root, name), report);
    walk(join(root, "dist"), (path, name, isDir) => {
      if (isDir || !OWN_TEST_FILE.test(name)) return false;
      remove(path, report);
      return true;
    });
  }
  walk(join(appDir, "node_modules"), (path, name, isDir) => {
    if (isDir && (name === "@types" || name.startsWith("@types+"))) {
      remove(path, report);
      return true;
    }
    if (!isDir && (UNUSED_FILE.test(name) || (OTHER_PRISMA_RUNTIME.test(name) && path.includes(`${sep}@prisma${sep}client${sep}runtime${sep}`)))) {
      remove(path, report);
      return true;
    }
    return false;
  });
  return report;
}
