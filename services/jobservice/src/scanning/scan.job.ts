/**
 * `scan.run`: one artifact's scan by its scanner registration. Sends the adapter a scan request
 * carrying a pull-only credential for the repository, polls each report as the adapter's
 * `Refresh-After` says, for at most the scan timeout, and records the outcome: the vulnerability
 * report (with the compact list policies read), the SBOM (pushed as a referrer of the image).
 * A stop (core marks the reports Stopped) ends the polling. Every outcome writes its event
 * (`scan.completed` / `scan.failed`), which the fan-out turns into webhooks and audit rows.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Prisma, PrismaClient } from "@berth/db";
import type { Logger } from "@berth/logger";
import type { Job, OutboxEventPayload, OutboxEventType } from "@berth/queue";
import type { RegistryStore } from "@berth/registry-store";
import {
  HARBOR_VULN_REPORT_MIME,
  SBOM_REPORT_MIME,
  SPDX_MEDIA_TYPE,
  ScanReportStore,
  ScannerAdapterError,
  ScannerClient,
  VULN_REPORT_MIMES,
  scanOverview,
  summarize,
  type HarborSbomReport,
  type HarborVulnerabilityReport,
  type ScanOutcome,
  type ScanReportRow,
  type ScanRequest,
  type ScannerAuthType,
} from "@berth/scanning";
import type { DataKey } from "@berth/secrets";
import type { SbomPublisher } from "./sbom-publisher.js";
import type { ScanCredentials } from "./scan-credentials.js";


export interface ScanJobDeps {
  db: PrismaClient;
  registry: RegistryStore;
  dataKey: DataKey;
  credentials: ScanCredentials;
  sboms: SbomPublisher;
  logger: Logger;
  /** The registry's URL as the adapter reaches it (the scan request's `registry.url`). */
  registryUrl: string;
  timeoutMs: number;
}

class ScanStoppedError extends Error {}

export function scanRunHandler(deps: ScanJobDeps) {
  const reports = new ScanReportStore(deps.db);
  const log = deps.logger.child({ module: "scan" });

  /**
   * Records each report's outcome and the scan's event (`scan.completed` / `scan.failed`) in ONE
   * transaction: whoever sees a report ended finds its event written, and a crash in between
   * loses neither. The event's `scan_overview` is read inside it. `scan.failed` is written only
   * when a report was still active (a stop or a newer scan wins); `scan.completed` always.
   */
  async function conclude(type: "scan.completed" | "scan.failed", rows: ScanReportRow[], outcomes: ReadonlyMap<string, ScanOutcome>, details?: string): Promise<void> {
    await deps.db.$transaction(async (tx) => {
      let finished = false;
      for (const r of rows) {
        const outcome = outcomes.get(r.id);
        if (outcome) finished = (await reports.finish(r.id, outcome, tx)) || finished;
      }
      if (type === "scan.failed" && !finished) return;
      const fresh = (await Promise.all(rows.map((r) => reports.get(r.id, tx)))).filter((r): r is ScanReportRow => r !== undefined);
      const first = rows[0]!;
      const payload: OutboxEventPayload<typeof type> = {
        repository: first.repository,
        digest: first.digest,
        actor: "berth-scanner",
        reportIds: rows.map((r) => r.id),
        scan_overview: scanOverview(fresh),
        ...(details !== undefined && { details }),
      };
      await tx.outboxEvent.create({ data: { type: type satisfies OutboxEventType, payload: payload as Prisma.InputJsonObject } });
    });
  }

  async function poll(client: ScannerClient, requestId: string, row: ScanReportRow, deadline: number): Promise<unknown> {
    const sbom = row.mimeType === SBOM_REPORT_MIME;
    let mime = row.mimeType;
    for (;;) {
      if (!(await reports.isActive(row.id))) throw new ScanStoppedError();
      if (Date.now() > deadline) throw new Error(`the scan did not finish within ${Math.round(deps.timeoutMs / 60_000)} minutes`);
      let answer;
      try {
        answer = await client.report(requestId, mime, sbom ? SPDX_MEDIA_TYPE : undefined);
      } catch (err) {
        // An adapter that only speaks Harbor's original report type (older adapters) gets asked for that.
        if (err instanceof ScannerAdapterError && (err.status === 501 || err.status === 400) && VULN_REPORT_MIMES.some((m) => m === mime) && mime !== HARBOR_VULN_REPORT_MIME) {
          mime = HARBOR_VULN_REPORT_MIME;
          continue;
        }
        throw err;
      }
      if (answer.kind === "ready") return answer.body;
      await sleep(Math.min(answer.refreshAfterSeconds * 1000, Math.max(0, deadline - Date.now()) + 100));
    }
  }

  return async (job: Job<{ reportIds: string[] }>) => {
    const rows = (await Promise.all(job.data.reportIds.map((id) => reports.get(id)))).filter((r): r is ScanReportRow => r !== undefined && (r.status === "Pending" || r.status === "Running"));
    if (rows.length === 0) return { skipped: "no active report" };
    const { repository, digest, registrationUuid } = rows[0]!;
    const started = Date.now();
    const deadline = started + deps.timeoutMs;
    for (const r of rows) {
      await reports.markRunning(r.id);
      await reports.log(r.id, `scan of ${repository}@${digest} started (attempt ${job.attemptsMade + 1})`);
    }
    try {
      const registration = await deps.db.scannerRegistration.findUnique({ where: { uuid: registrationUuid } });
      if (!registration || registration.disabled) throw new Error(`scanner registration ${registrationUuid} is gone or disabled`);
      const client = new ScannerClient({
        url: registration.url,
        auth: registration.auth as ScannerAuthType,
        credential: registration.accessCredential ? deps.dataKey.open(registration.accessCredential, `scanner:${registration.uuid}:credential`) : "",
        timeoutMs: 30_000,
      });
      const artifact = await deps.registry.artifacts.getArtifact(repository, digest);
      const wantsSbom = rows.some((r) => r.mimeType === SBOM_REPORT_MIME);
      const vulnRows = rows.filter((r) => r.mimeType !== SBOM_REPORT_MIME);
      const request: ScanRequest = {
        registry: { url: deps.registryUrl, authorization: await deps.credentials.authorization(repository) },
        artifact: { repository, digest, mime_type: artifact.manifestMediaType, ...(artifact.tags[0] && { tag: artifact.tags[0].name }) },
        enabled_capabilities: [
          ...(vulnRows.length ? [{ type: "vulnerability" as const, produces_mime_types: vulnRows.map((r) => r.mimeType) }] : []),
          ...(wantsSbom ? [{ type: "sbom" as const, produces_mime_types: [SBOM_REPORT_MIME], parameters: { sbom_media_types: [SPDX_MEDIA_TYPE] } }] : []),
        ],
      };
      const requestId = await client.scan(request);
      for (const r of rows) await reports.log(r.id, `${registration.name} accepted the scan request (id ${requestId})`);
      const outcomes = new Map<string, ScanOutcome>();
      for (const row of rows) {
        const body = await poll(client, requestId, row, deadline);
        if (row.mimeType === SBOM_REPORT_MIME) {
          const report = body as HarborSbomReport;
          if (!report?.sbom || typeof report.sbom !== "object") throw new Error("the adapter's SBOM report holds no SBOM");
          const sbomDigest = await deps.sboms.publish(repository, { digest, mediaType: artifact.manifestMediaType, size: artifact.size }, report.sbom, report.media_type || SPDX_MEDIA_TYPE);
          outcomes.set(row.id, { status: "Success", report: { media_type: report.media_type, sbom_digest: sbomDigest, scanner: report.scanner, generated_at: report.generated_at } });
          await reports.log(row.id, `SBOM stored as ${repository}@${sbomDigest} (a referrer of ${digest})`);
        } else {
          const report = body as HarborVulnerabilityReport;
          if (!Array.isArray(report?.vulnerabilities)) throw new Error("the adapter's report has no vulnerabilities list");
          const { vulnerabilities, summary } = summarize(report);
          // No findings is "None" in Harbor's overview, whatever the adapter says (the spec's enum has no None).
          outcomes.set(row.id, { status: "Success", report, severity: summary.total === 0 ? "None" : (report.severity ?? "Unknown"), summary, vulnerabilities });
          await reports.log(row.id, `${summary.total} vulnerabilities (${summary.fixable} fixable), severity ${report.severity}`);
        }
      }
      await conclude("scan.completed", rows, outcomes);
      log.info(`scanned ${repository}@${digest}`, { ms: Date.now() - started });
      return { scanned: rows.map((r) => r.id) };
    } catch (err) {
      if (err instanceof ScanStoppedError) {
        for (const r of rows) await reports.log(r.id, "stopped");
        return { stopped: rows.map((r) => r.id) };
      }
      const message = (err as Error).message;
      log.warn(`scan of ${repository}@${digest} failed`, { err: message });
      for (const r of rows) await reports.log(r.id, `failed: ${message}`);
      await conclude("scan.failed", rows, new Map(rows.map((r) => [r.id, { status: "Error", message }])), message);
      return { failed: message };
    }
  };
}
