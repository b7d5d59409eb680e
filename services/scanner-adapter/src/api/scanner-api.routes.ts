/**
 * Harbor's Pluggable Scanner API v1.2 (`/api/v1`): metadata, scan (202 with an id), and the report
 * (302 + `Refresh-After` while the scan runs; the `Accept`ed report type when done). Accepts v1.0
 * and v1.1 scan requests; capabilities: vulnerability reports in both Harbor report types, SBOMs in
 * SPDX 2.3 or CycloneDX 1.5.
 */
import { Router, type Request } from "express";
import { z } from "zod";
import {
  CYCLONEDX_MEDIA_TYPE,
  HARBOR_VULN_REPORT_MIME,
  METADATA_MIME,
  METADATA_MIME_V10,
  SBOM_MEDIA_TYPES,
  SBOM_REPORT_MIME,
  SCAN_RESPONSE_MIME,
  SCANNABLE_MANIFEST_TYPES,
  SPDX_MEDIA_TYPE,
  VULN_REPORT_MIME,
  VULN_REPORT_MIMES,
  sameMediaType,
  type HarborSbomReport,
  type ScannerInfo,
} from "@berth/scanning";
import { cyclonedxDocument } from "../reports/cyclonedx.js";
import { spdxDocument } from "../reports/spdx.js";
import type { ScanRunner } from "../scans/scan-runner.js";
import type { AdapterScanStore } from "../scans/scan-store.js";
import type { OsvStore } from "../vulndb/osv-store.js";
import { ScannerApiError, sendJson } from "./api-errors.js";

/** Seconds a client should wait before polling a report again. */
export const REFRESH_AFTER_SECONDS = 2;

const capability = z.object({
  type: z.enum(["vulnerability", "sbom"]),
  produces_mime_types: z.array(z.string()).optional(),
  parameters: z.object({ sbom_media_types: z.array(z.string()).optional() }).passthrough().nullish(),
});
const scanRequest = z.object({
  registry: z.object({ url: z.string().regex(/^https?:\/\/[^\s]+$/i, "must be an http(s) URL"), authorization: z.string().max(16_384).optional() }),
  artifact: z.object({
    repository: z.string().min(1).max(1024),
    digest: z.string().regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, "must be a digest"),
    tag: z.string().max(128).optional(),
    mime_type: z.string().max(255).optional(),
  }),
  enabled_capabilities: z.array(capability).optional(),
});

export function metadataDocument(scanner: ScannerInfo, db: { advisories: number; updatedAt: Date | null }) {
  return {
    scanner,
    capabilities: [
      { type: "vulnerability", consumes_mime_types: [...SCANNABLE_MANIFEST_TYPES], produces_mime_types: [VULN_REPORT_MIME, HARBOR_VULN_REPORT_MIME] },
      {
        type: "sbom",
        consumes_mime_types: [...SCANNABLE_MANIFEST_TYPES],
        produces_mime_types: [SBOM_REPORT_MIME],
        additional_attributes: { sbom_media_types: [...SBOM_MEDIA_TYPES] },
      },
    ],
    properties: {
      "harbor.scanner-adapter/scanner-type": "os-package-vulnerability",
      "harbor.scanner-adapter/vulnerability-database-updated-at": db.updatedAt?.toISOString() ?? "",
      "org.berth.scanner-adapter/vulnerability-database-advisories": String(db.advisories),
      "org.berth.scanner-adapter/vulnerability-database-format": "OSV",
    },
  };
}

/** The report type a GET asks for: the first supported type its `Accept` names (default: the generic vulnerability report). */
function acceptedType(req: Request): string {
  const accept = req.headers.accept;
  if (!accept || accept.trim() === "*/*") return VULN_REPORT_MIME;
  const wanted = accept.split(/,(?![^;,]*=\s*[0-9.]+\s*;)/).map((s) => s.trim());
  for (const w of wanted) {
    const type = [...VULN_REPORT_MIMES, SBOM_REPORT_MIME].find((t) => sameMediaType(t, w.replace(/;\s*q=[0-9.]+$/, "")));
    if (type) return type;
  }
  throw new ScannerApiError(501, `the adapter produces no report of type ${accept.slice(0, 200)}`);
}

export function scannerApiRoutes(deps: { runner: ScanRunner; scans: AdapterScanStore; osv: OsvStore; scanner: ScannerInfo }): Router {
  const router = Router();

  router.get("/api/v1/metadata", async (req, res) => {
    const body = metadataDocument(deps.scanner, await deps.osv.status());
    const v10 = (req.headers.accept ?? "").includes("version=1.0") && !(req.headers.accept ?? "").includes("version=1.1");
    sendJson(res, 200, v10 ? METADATA_MIME_V10 : METADATA_MIME, body);
  });

  router.post("/api/v1/scan", async (req, res) => {
    if (!req.is("application/*+json") && !req.is("application/json")) throw new ScannerApiError(400, "the body must be a scan request (application/vnd.scanner.adapter.scan.request+json)");
    const parsed = scanRequest.safeParse(req.body);
    if (!parsed.success) {
      // The spec: wrong JSON types are 400; a missing or invalid field's value is 422.
      const wrongType = parsed.error.issues.some((i) => i.code === "invalid_type" && !/received undefined/.test(i.message));
      throw new ScannerApiError(wrongType ? 400 : 422, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    }
    const { registry, artifact, enabled_capabilities } = parsed.data;
    if (artifact.mime_type && !SCANNABLE_MANIFEST_TYPES.some((t) => t === artifact.mime_type)) {
      throw new ScannerApiError(501, `artifacts of type ${artifact.mime_type} cannot be scanned (image manifests only)`);
    }
    for (const c of enabled_capabilities ?? []) {
      const bad = (c.parameters?.sbom_media_types ?? []).find((t) => !SBOM_MEDIA_TYPES.some((s) => s === t));
      if (bad) throw new ScannerApiError(422, `unsupported sbom_media_type ${bad}`);
    }
    const types = new Set((enabled_capabilities ?? [{ type: "vulnerability" }, { type: "sbom" }]).map((c) => c.type));
    const id = await deps.runner.accept(
      {
        registry: { url: registry.url },
        artifact: { repository: artifact.repository, digest: artifact.digest, tag: artifact.tag, mime_type: artifact.mime_type },
        capabilities: { vulnerability: types.has("vulnerability"), sbom: types.has("sbom") },
      },
      registry.authorization,
    );
    sendJson(res, 202, SCAN_RESPONSE_MIME, { id });
  });

  router.get("/api/v1/scan/:id/report", async (req, res) => {
    const type = acceptedType(req);
    const sbomType = typeof req.query["sbom_media_type"] === "string" ? req.query["sbom_media_type"] : undefined;
    if (type === SBOM_REPORT_MIME && (!sbomType || !SBOM_MEDIA_TYPES.some((t) => t === sbomType))) {
      throw new ScannerApiError(400, `an SBOM report needs ?sbom_media_type=${SPDX_MEDIA_TYPE} or ${CYCLONEDX_MEDIA_TYPE}`);
    }
    const state = await deps.scans.state(String(req.params["id"]));
    if (!state) {
      res.status(404).end();
      return;
    }
    if (state.status === "Pending" || state.status === "Running") {
      res.status(302).setHeader("Refresh-After", String(REFRESH_AFTER_SECONDS));
      res.end();
      return;
    }
    if (state.status === "Error") throw new ScannerApiError(500, state.message);
    if (state.status !== "Success") throw new Error("unreachable");
    const { results, request } = state;
    if (type === SBOM_REPORT_MIME) {
      if (!request.capabilities.sbom) throw new ScannerApiError(400, "this scan request did not enable the sbom capability");
      const created = new Date(results.generatedAt);
      const report: HarborSbomReport = {
        generated_at: results.generatedAt,
        artifact: results.vulnerability.artifact,
        scanner: deps.scanner,
        vendor_attributes: { packages: results.analysis.packages.length, os: results.analysis.os?.prettyName ?? "" },
        media_type: sbomType!,
        sbom: sbomType === SPDX_MEDIA_TYPE ? spdxDocument(request.artifact, deps.scanner, results.analysis, created) : cyclonedxDocument(request.artifact, deps.scanner, results.analysis, created),
      };
      sendJson(res, 200, SBOM_REPORT_MIME, report);
      return;
    }
    if (!request.capabilities.vulnerability) throw new ScannerApiError(400, "this scan request did not enable the vulnerability capability");
    sendJson(res, 200, type, results.vulnerability);
  });

  return router;
}
