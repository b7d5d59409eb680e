/**
 * The scan side of the event fan-out: `scan.requested` (core's API) → `scan.run`; scan on push
 * (`manifest.pushed` into a project with `auto_scan` / `auto_sbom_generation`) → new reports and
 * `scan.run`; `manifest.deleted` → the image's SBOM referrers and orphaned reports go with it.
 * Every step is idempotent, so a retried fan-out adds nothing twice (job id `scan-<first report>`).
 */
import type { PrismaClient } from "@berth/db";
import type { Logger } from "@berth/logger";
import type { OutboxEventPayload, Queues } from "@berth/queue";
import type { RegistryStore } from "@berth/registry-store";
import { SBOM_REPORT_MIME, SCANNABLE_MANIFEST_TYPES, ScanReportStore, VULN_REPORT_MIME } from "@berth/scanning";
import { projectOf, registryEventData, type EventSubscriber } from "../events/subscriber.js";
import type { SbomPublisher } from "./sbom-publisher.js";

export const scanJobId = (reportIds: readonly string[]) => `scan-${reportIds[0]}`;

/** `scan.requested` → `scan.run`. */
export function scanRequestedSubscriber(deps: { queues: Queues }): EventSubscriber {
  return {
    name: "scan-requested",
    types: ["scan.requested"],
    async handle(event) {
      const p = event.payload as Partial<OutboxEventPayload<"scan.requested">> | null;
      if (!Array.isArray(p?.reportIds) || p.reportIds.length === 0) throw new Error(`event ${event.eventId} (${event.type}) has no reportIds`);
      await deps.queues.enqueue("scan.run", { reportIds: p.reportIds }, { jobId: scanJobId(p.reportIds) });
    },
  };
}

/**
 * Starts the default scanner's scan of `digest` in `repository` (the report types given) unless one
 * is in progress, and enqueues it; with an `executionId` the reports count towards a scan-all.
 */
export async function startScan(
  deps: { db: PrismaClient; queues: Queues },
  scan: { repository: string; digest: string; mimeTypes: string[]; trigger: "EVENT" | "SCHEDULE" | "MANUAL"; executionId?: bigint },
): Promise<string[] | undefined> {
  const scanner = await deps.db.scannerRegistration.findFirst({ where: { isDefault: true, disabled: false } });
  if (!scanner || scan.mimeTypes.length === 0) return undefined;
  const started = await new ScanReportStore(deps.db).start({ ...scan, registrationUuid: scanner.uuid });
  if (started.running) return undefined;
  await deps.queues.enqueue("scan.run", { reportIds: started.ids }, { jobId: scanJobId(started.ids) });
  return started.ids;
}

/** Scan on push: image manifests pushed into projects with `auto_scan` (and SBOMs with `auto_sbom_generation`). */
export function scanOnPushSubscriber(deps: { db: PrismaClient; queues: Queues; registry: RegistryStore; logger: Logger }): EventSubscriber {
  return {
    name: "scan-on-push",
    types: ["manifest.pushed"],
    async handle(event, context) {
      const data = registryEventData(event);
      if (!SCANNABLE_MANIFEST_TYPES.some((t) => t === data.mediaType)) return;
      const project = await context.project(projectOf(data.repository));
      const metadata = (project?.metadata ?? {}) as Record<string, string>;
      const mimeTypes = [...(metadata["auto_scan"] === "true" ? [VULN_REPORT_MIME] : []), ...(metadata["auto_sbom_generation"] === "true" ? [SBOM_REPORT_MIME] : [])];
      if (mimeTypes.length === 0) return;
      let artifact;
      try {
        artifact = await deps.registry.artifacts.getArtifact(data.repository, data.digest);
      } catch {
        return; // deleted since
      }
      // Images only: SBOMs, signatures and other artifacts (an artifactType, or a non-image config) are not scanned.
      if (artifact.artifactType || (artifact.mediaType !== "application/vnd.oci.image.config.v1+json" && artifact.mediaType !== "application/vnd.docker.container.image.v1+json")) return;
      const ids = await startScan(deps, { repository: data.repository, digest: data.digest, mimeTypes, trigger: "EVENT" });
      if (ids) deps.logger.info(`scan on push of ${data.repository}@${data.digest}`, { reports: ids });
    },
  };
}

/** An image's SBOMs and (when no repository holds the digest any more) its reports go when it is deleted. */
export function scannedImageDeletedSubscriber(deps: { db: PrismaClient; sboms: SbomPublisher }): EventSubscriber {
  return {
    name: "scan-subject-deleted",
    types: ["manifest.deleted"],
    async handle(event) {
      const data = registryEventData(event);
      await deps.sboms.forgetSubject(data.repository, data.digest);
      await deps.db.$executeRaw`DELETE FROM scan_reports r WHERE r.digest = ${data.digest} AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = r.digest)`;
    },
  };
}
