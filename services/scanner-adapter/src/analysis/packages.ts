/** What analysis finds: the OS, packages with the file and layer they came from, and package URLs. */

/** A package kind (its package manager or language). */
export type PackageType = "deb" | "apk" | "rpm" | "npm" | "pypi" | "golang" | "maven";

/** A package found in a file, before layer attribution. */
export interface FoundPackage {
  type: PackageType;
  name: string;
  version: string;
  /** OS packages: the source package (what distribution advisories name) and its version. */
  sourceName?: string | undefined;
  sourceVersion?: string | undefined;
  arch?: string | undefined;
  license?: string | undefined;
  /** Maven: group id (the name is `group:artifact`). */
  group?: string | undefined;
}

/** The image layer a package came from (digest of the blob, diff_id of its content). */
export interface LayerRef {
  digest: string;
  diff_id: string;
}

/** A package as the reports show it. */
export interface ImagePackage extends FoundPackage {
  /** The file it was read from, without a leading slash. */
  path: string;
  layer: LayerRef;
  purl: string;
}

/** The image's OS from `/etc/os-release` (`id` e.g. `debian`, `versionId` e.g. `12`). */
export interface OsInfo {
  id: string;
  versionId: string;
  version: string;
  prettyName: string;
}

export interface ImageAnalysis {
  os: OsInfo | undefined;
  packages: ImagePackage[];
  layers: LayerRef[];
}

const enc = (s: string) => encodeURIComponent(s);

/** The package URL (github.com/package-url/purl-spec) of a package. */
export function purlOf(p: FoundPackage, os: OsInfo | undefined): string {
  const distro = os ? `${os.id}-${os.versionId}` : undefined;
  const qualifiers = (q: Record<string, string | undefined>) => {
    const parts = Object.entries(q)
      .filter(([, v]) => v)
      .map(([k, v]) => `${k}=${enc(v!)}`);
    return parts.length ? `?${parts.join("&")}` : "";
  };
  switch (p.type) {
    case "deb":
      return `pkg:deb/${enc(os?.id ?? "debian")}/${enc(p.name)}@${enc(p.version)}${qualifiers({ arch: p.arch, distro })}`;
    case "apk":
      return `pkg:apk/${enc(os?.id ?? "alpine")}/${enc(p.name)}@${enc(p.version)}${qualifiers({ arch: p.arch, distro })}`;
    case "rpm":
      return `pkg:rpm/${enc(os?.id ?? "redhat")}/${enc(p.name)}@${enc(p.version)}${qualifiers({ arch: p.arch, distro })}`;
    case "npm": {
      const [scope, name] = p.name.startsWith("@") ? [p.name.slice(0, p.name.indexOf("/")), p.name.slice(p.name.indexOf("/") + 1)] : [undefined, p.name];
      return `pkg:npm/${scope ? `${enc(scope)}/` : ""}${enc(name)}@${enc(p.version)}`;
    }
    case "pypi":
      return `pkg:pypi/${enc(normalizePypiName(p.name))}@${enc(p.version)}`;
    case "golang":
      return `pkg:golang/${p.name.split("/").map(enc).join("/")}@${enc(p.version)}`;
    case "maven": {
      const [group, artifact] = p.name.split(":");
      return `pkg:maven/${enc(group ?? "")}/${enc(artifact ?? p.name)}@${enc(p.version)}`;
    }
  }
}

/** PEP 503's normalized project name. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}
