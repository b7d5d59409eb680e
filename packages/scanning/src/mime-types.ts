/** The media types of Harbor's Pluggable Scanner API (v1.1/v1.2) and of the SBOMs Berth stores. */

/** Artifacts a scanner consumes: image manifests. */
export const SCANNABLE_MANIFEST_TYPES = ["application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"] as const;

/** The generic vulnerability report (Harbor ≥ 2.x default). */
export const VULN_REPORT_MIME = "application/vnd.security.vulnerability.report; version=1.1";
/** Harbor's original vulnerability report type. */
export const HARBOR_VULN_REPORT_MIME = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";
/** Every vulnerability report type Berth's adapter produces. */
export const VULN_REPORT_MIMES = [VULN_REPORT_MIME, HARBOR_VULN_REPORT_MIME] as const;
/** The SBOM report (its `sbom` member holds the SPDX or CycloneDX document). */
export const SBOM_REPORT_MIME = "application/vnd.security.sbom.report+json; version=1.0";
export const SPDX_MEDIA_TYPE = "application/spdx+json";
export const CYCLONEDX_MEDIA_TYPE = "application/vnd.cyclonedx+json";
export const SBOM_MEDIA_TYPES = [SPDX_MEDIA_TYPE, CYCLONEDX_MEDIA_TYPE] as const;
export type SbomMediaType = (typeof SBOM_MEDIA_TYPES)[number];

export const METADATA_MIME = "application/vnd.scanner.adapter.metadata+json; version=1.1";
export const METADATA_MIME_V10 = "application/vnd.scanner.adapter.metadata+json; version=1.0";
export const SCAN_REQUEST_MIME = "application/vnd.scanner.adapter.scan.request+json; version=1.1";
export const SCAN_REQUEST_MIME_V10 = "application/vnd.scanner.adapter.scan.request+json; version=1.0";
export const SCAN_RESPONSE_MIME = "application/vnd.scanner.adapter.scan.response+json; version=1.0";
export const ERROR_MIME = "application/vnd.scanner.adapter.error+json; version=1.0";

/** The `artifactType` of SBOM accessories, as Harbor stores them (the referrers API shows it). */
export const SBOM_ARTIFACT_TYPE = "application/vnd.goharbor.harbor.sbom.v1";

/** Compares media types ignoring case and spaces around `;` (`a; version=1.0` = `a;version=1.0`). */
export function sameMediaType(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().split(";").map((p) => p.trim()).join(";");
  return norm(a) === norm(b);
}

/** What the built-in adapter's default API key is derived for (`DataKey.derive`), in core and the adapter alike. */
export const SCANNER_API_KEY_PURPOSE = "scanner-adapter:api-key";

/** The vendor type of scan-all executions (Harbor's `SCAN_ALL`): jobservice creates them, core reads and stops them. */
export const SCAN_ALL_VENDOR_TYPE = "SCAN_ALL";
