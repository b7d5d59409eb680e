/** An SPDX 2.3 JSON document of the image: the image as the described package, containing every package found. */
import { randomUUID } from "node:crypto";
import type { ScanArtifact, ScannerInfo } from "@berth/scanning";
import type { ImageAnalysis } from "../analysis/packages.js";

const spdxId = (s: string) => s.replace(/[^A-Za-z0-9.-]/g, "-");

export function spdxDocument(artifact: ScanArtifact, scanner: ScannerInfo, analysis: ImageAnalysis, created: Date): Record<string, unknown> {
  const image = "SPDXRef-Image";
  const packages = analysis.packages.map((p, i) => ({
    name: p.name,
    SPDXID: `SPDXRef-Package-${i + 1}-${spdxId(p.type)}`,
    versionInfo: p.version,
    downloadLocation: "NOASSERTION",
    filesAnalyzed: false,
    licenseConcluded: "NOASSERTION",
    licenseDeclared: "NOASSERTION",
    copyrightText: "NOASSERTION",
    ...(p.license && { comment: `declared license: ${p.license}` }),
    sourceInfo: `${p.type} package found in /${p.path}, layer ${p.layer.digest} (diff_id ${p.layer.diff_id})`,
    externalRefs: [{ referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: p.purl }],
  }));
  return {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: `${artifact.repository}@${artifact.digest}`,
    documentNamespace: `https://berth.invalid/spdx/${encodeURIComponent(artifact.repository)}/${artifact.digest}/${randomUUID()}`,
    creationInfo: { created: created.toISOString().replace(/\.\d{3}Z$/, "Z"), creators: [`Tool: ${scanner.name}-${scanner.version}`, `Organization: ${scanner.vendor}`] },
    documentDescribes: [image],
    packages: [
      {
        name: artifact.repository,
        SPDXID: image,
        versionInfo: artifact.digest,
        downloadLocation: "NOASSERTION",
        filesAnalyzed: false,
        primaryPackagePurpose: "CONTAINER",
        ...(analysis.os && { description: analysis.os.prettyName }),
      },
      ...packages,
    ],
    relationships: [
      { spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: image },
      ...packages.map((p) => ({ spdxElementId: image, relationshipType: "CONTAINS", relatedSpdxElement: p.SPDXID })),
    ],
  };
}
