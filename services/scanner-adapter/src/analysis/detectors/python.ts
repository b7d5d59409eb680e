/** Python packages: installed distributions' `*.dist-info/METADATA` (and legacy `*.egg-info/PKG-INFO`). */
import type { FoundPackage } from "../packages.js";

export const isPythonMetadata = (path: string) => /\.dist-info\/METADATA$/.test(path) || /\.egg-info\/PKG-INFO$/.test(path);

export function parsePythonMetadata(_path: string, content: Buffer): FoundPackage[] {
  const headers = content.toString("utf8").split(/\r?\n\r?\n/)[0] ?? "";
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.+)$`, "mi").exec(headers)?.[1]?.trim();
  const name = field("Name");
  const version = field("Version");
  if (!name || !version) return [];
  const license = field("License-Expression") ?? field("License");
  return [{ type: "pypi", name, version, ...(license && license !== "UNKNOWN" && { license }) }];
}
