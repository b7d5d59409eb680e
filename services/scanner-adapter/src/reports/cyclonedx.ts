/** A CycloneDX 1.5 JSON BOM of the image: the image as the metadata component, every package as a library component. */
import { randomUUID } from "node:crypto";
import type { ScanArtifact, ScannerInfo } from "@berth/scanning";
import type { ImageAnalysis } from "../analysis/packages.js";

export function cyclonedxDocument(artifact: ScanArtifact, scanner: ScannerInfo, analysis: ImageAnalysis, created: Date): Record<string, unknown> {
  const components = analysis.packages.map((p, i) => ({
    "bom-ref": `pkg-${i + 1}`,
    type: "library",
    name: p.name,
    version: p.version,
    purl: p.purl,
    ...(p.license && { licenses: [{ license: { name: p.license } }] }),
    properties: [
      { name: "berth:package:type", value: p.type },
      { name: "berth:package:path", value: `/${p.path}` },
      { name: "berth:layer:digest", value: p.layer.digest },
      { name: "berth:layer:diff_id", value: p.layer.diff_id },
    ],
  }));
  const image = { "bom-ref": "image", type: "container", name: artifact.repository, version: artifact.digest };
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: created.toISOString(),
      tools: { components: [{ type: "application", name: scanner.name, version: scanner.version, publisher: scanner.vendor }] },
      component: image,
      ...(analysis.os && { properties: [{ name: "berth:os", value: analysis.os.prettyName }] }),
    },
    components,
    dependencies: [{ ref: "image", dependsOn: components.map((c) => c["bom-ref"]) }, ...components.map((c) => ({ ref: c["bom-ref"] }))],
  };
}
