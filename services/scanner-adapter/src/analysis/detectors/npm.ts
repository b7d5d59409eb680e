/** npm packages: `package-lock.json` (lockfile v1, v2 and v3) and installed `node_modules/<name>/package.json`. */
import type { FoundPackage } from "../packages.js";

const INSTALLED = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/@][^/]*)\/package\.json$/;

export function isNpmFile(path: string): boolean {
  return (path.endsWith("/package-lock.json") || path === "package-lock.json") ? !path.includes("/node_modules/") : INSTALLED.test(path);
}

function fromLockfile(lock: Record<string, unknown>): FoundPackage[] {
  const out: FoundPackage[] = [];
  const packages = lock["packages"];
  if (packages && typeof packages === "object") {
    for (const [key, value] of Object.entries(packages as Record<string, { version?: unknown; link?: unknown; name?: unknown; license?: unknown }>)) {
      const at = key.lastIndexOf("node_modules/");
      if (key === "" || at < 0 || value.link === true || typeof value.version !== "string") continue;
      const name = typeof value.name === "string" ? value.name : key.slice(at + "node_modules/".length);
      out.push({ type: "npm", name, version: value.version, ...(typeof value.license === "string" && { license: value.license }) });
    }
    return out;
  }
  const walk = (deps: unknown) => {
    if (!deps || typeof deps !== "object") return;
    for (const [name, value] of Object.entries(deps as Record<string, { version?: unknown; dependencies?: unknown }>)) {
      if (typeof value.version === "string" && !value.version.startsWith("file:")) out.push({ type: "npm", name, version: value.version });
      walk(value.dependencies);
    }
  };
  walk(lock["dependencies"]);
  return out;
}

export function parseNpmFile(path: string, content: Buffer): FoundPackage[] {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(content.toString("utf8")) as Record<string, unknown>;
  } catch {
    return [];
  }
  if (!INSTALLED.test(path) || path.endsWith("package-lock.json")) return fromLockfile(json);
  if (typeof json["name"] !== "string" || typeof json["version"] !== "string") return [];
  return [{ type: "npm", name: json["name"], version: json["version"], ...(typeof json["license"] === "string" && { license: json["license"] }) }];
}
