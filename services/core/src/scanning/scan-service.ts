/**
 * Scans as core manages them: start and stop one artifact's scan, read its reports (the
 * vulnerabilities addition, the log, the overview artifact lists show), and scan-all (its schedule
 * and metrics). Nothing here calls the adapter or Redis: a scan is its Pending `scan_reports` rows
 * committed with a `scan.requested` event, which jobservice turns into the `scan.run` job.
 * docs/scanning.md.
 */
import type { Prisma, PrismaClient, Project, SystemSchedule } from "@berth/db";
import { ExecutionStore } from "@berth/executions";
import type { ArtifactRecord, RegistryStore } from "@berth/registry-store";
import type { OutboxEventPayload, OutboxEventType } from "@berth/queue/events";
import { validateCron } from "@berth/queue/cron";
import { SBOM_REPORT_MIME, SCAN_ALL_VENDOR_TYPE, SCANNABLE_MANIFEST_TYPES, ScanReportStore, VULN_REPORT_MIMES, VULN_REPORT_MIME, scanOverview, type ReportSummaryView, type ScanReportRow } from "@berth/scanning";
import { AuditStore } from "../audit/audit-store.js";
import { auditActor, principalName, type Principal } from "../auth/principal.js";
import { ConflictError, InvalidInputError, NotFoundError, PreconditionFailedError } from "../errors.js";
import { SCHEDULE_CRONS } from "../gc/gc-service.js";

import type { ScannerStore } from "./scanner-store.js";

export type ScanType = "vulnerability" | "sbom";

const MIMES: Record<ScanType, string[]> = { vulnerability: [VULN_REPORT_MIME], sbom: [SBOM_REPORT_MIME] };

export class ScanService {
  readonly #reports: ScanReportStore;

  constructor(
    private readonly db: PrismaClient,
    private readonly registry: RegistryStore,
    private readonly scanners: ScannerStore,
  ) {
    this.#reports = new ScanReportStore(db);
  }

  async #defaultScanner() {
    const scanner = await this.scanners.defaultScanner();
    if (!scanner) throw new PreconditionFailedError("no default scanner is registered and enabled");
    return scanner;
  }

  #scannable(artifact: ArtifactRecord): void {
    if (!SCANNABLE_MANIFEST_TYPES.some((t) => t === artifact.manifestMediaType)) {
      throw new InvalidInputError(`artifact ${artifact.digest} (${artifact.manifestMediaType}) cannot be scanned: image manifests only`);
    }
  }

  /** Starts a scan of `reference`; 409 while one of this artifact is in progress. */
  async scan(project: Project, repository: string, reference: string, type: ScanType, principal: Principal | undefined): Promise<void> {
    const artifact = await this.registry.artifacts.getArtifact(repository, reference);
    this.#scannable(artifact);
    const scanner = await this.#defaultScanner();
    await this.db.$transaction(async (tx) => {
      const started = await this.#reports.start({ digest: artifact.digest, repository, registrationUuid: scanner.uuid, mimeTypes: MIMES[type], trigger: "MANUAL" }, tx);
      if (started.running) throw new ConflictError(`a scan of ${repository}@${artifact.digest} is already in progress`);
      const event: OutboxEventPayload<"scan.requested"> = { reportIds: started.ids, repository, digest: artifact.digest };
      await tx.outboxEvent.create({ data: { type: "scan.requested" satisfies OutboxEventType, payload: event } });
      await AuditStore.write(tx, { ...auditActor(principal), resource: `${repository}@${artifact.digest}`, resourceType: "artifact", operation: "scan", projectId: project.id, detail: { scan_type: type, scanner: scanner.name } });
    });
  }

  /** Stops the artifact's scan in progress (404 when there is none); SCANNING_STOPPED follows. */
  async stop(project: Project, repository: string, reference: string, principal: Principal | undefined): Promise<void> {
    const artifact = await this.registry.artifacts.getArtifact(repository, reference);
    const scanner = await this.#defaultScanner();
    await this.db.$transaction(async (tx) => {
      const stopped = await this.#reports.stop(artifact.digest, scanner.uuid, tx);
      if (stopped.length === 0) throw new NotFoundError(`no scan of ${repository}@${artifact.digest} is in progress`);
      const event: OutboxEventPayload<"scan.stopped"> = { repository, digest: artifact.digest, reportIds: stopped, actor: principalName(principal) };
      await tx.outboxEvent.create({ data: { type: "scan.stopped" satisfies OutboxEventType, payload: event as Prisma.InputJsonObject } });
      await AuditStore.write(tx, { ...auditActor(principal), resource: `${repository}@${artifact.digest}`, resourceType: "artifact", operation: "stop_scan", projectId: project.id });
    });
  }

  /** `{ <mime>: report }` of the default scanner's finished vulnerability reports of `reference`. */
  async vulnerabilities(repository: string, reference: string): Promise<Record<string, unknown>> {
    const artifact = await this.registry.artifacts.getArtifact(repository, reference);
    const scanner = await this.scanners.defaultScanner();
    if (!scanner) return {};
    const rows = (await this.#reports.forDigest(artifact.digest)).filter((r) => r.registrationUuid === scanner.uuid && VULN_REPORT_MIMES.some((m) => m === r.mimeType) && r.status === "Success");
    return Object.fromEntries(rows.map((r) => [r.mimeType, r.report]));
  }

  /** The log of report `reportId` of `reference`. */
  async log(repository: string, reference: string, reportId: string): Promise<string> {
    const artifact = await this.registry.artifacts.getArtifact(repository, reference);
    const row = await this.#reports.get(reportId);
    if (!row || row.digest !== artifact.digest) throw new NotFoundError(`scan report ${reportId.slice(0, 64)} of ${repository}@${artifact.digest} not found`);
    return row.log;
  }

  /** Overviews of the default scanner's reports for `digests` (artifact lists' `scan_overview`). */
  async overviews(digests: readonly string[]): Promise<Map<string, Record<string, ReportSummaryView>>> {
    const scanner = await this.scanners.defaultScanner();
    const rows = scanner ? await this.#reports.forDigests(digests, scanner.uuid) : [];
    const byDigest = new Map<string, ScanReportRow[]>();
    for (const r of rows) byDigest.set(r.digest, [...(byDigest.get(r.digest) ?? []), r]);
    return new Map([...byDigest].map(([d, list]) => [d, scanOverview(list)]));
  }

  // --- scan-all ---

  scanAllSchedule(): Promise<SystemSchedule | null> {
    return this.db.systemSchedule.findUnique({ where: { kind: "scan_all" } });
  }

  /** `Manual` starts a scan-all now; other types store the schedule (validated by the one cron validator). */
  async setScanAllSchedule(input: { type: "Manual" | "Hourly" | "Daily" | "Weekly" | "Custom" | "None" | "Schedule"; cron?: string | undefined }, principal: Principal | undefined): Promise<void> {
    if (input.type === "Manual") {
      if ((await this.scanAllMetrics()).ongoing) throw new ConflictError("a scan-all is in progress");
      await this.#defaultScanner();
      const event: OutboxEventPayload<"scan_all.requested"> = { trigger: "Manual", operator: principalName(principal) };
      await this.db.outboxEvent.create({ data: { type: "scan_all.requested" satisfies OutboxEventType, payload: event } });
      return;
    }
    const type = input.type === "Schedule" ? "Custom" : input.type;
    const cron = type === "Custom" ? validateCron(input.cron ?? "") : type === "None" ? "" : SCHEDULE_CRONS[type];
    const event: OutboxEventPayload<"scan_all.schedule.changed"> = { kind: "scan_all", type, cron };
    await this.db.$transaction([
      this.db.systemSchedule.upsert({ where: { kind: "scan_all" }, create: { kind: "scan_all", type, cron }, update: { type, cron } }),
      this.db.outboxEvent.create({ data: { type: "scan_all.schedule.changed" satisfies OutboxEventType, payload: event } }),
    ]);
  }

  /** Harbor's scan-all `Stats` of the latest run (`trigger` Manual or Schedule). */
  async scanAllMetrics(trigger?: "Manual" | "Schedule") {
    const latest = await this.db.execution.findFirst({
      where: { vendorType: SCAN_ALL_VENDOR_TYPE, ...(trigger && { trigger: trigger === "Manual" ? "MANUAL" : "SCHEDULE" }) },
      orderBy: { id: "desc" },
    });
    if (!latest) return { total: 0, completed: 0, metrics: {}, ongoing: false, trigger: trigger ?? "Manual" };
    const counts = await this.db.scanReport.groupBy({ by: ["status"], where: { executionId: latest.id }, _count: { _all: true } });
    const metrics = Object.fromEntries(counts.map((c) => [c.status, c._count._all]));
    const total = counts.reduce((n, c) => n + c._count._all, 0);
    const active = (metrics["Pending"] ?? 0) + (metrics["Running"] ?? 0);
    return {
      total,
      completed: total - active,
      metrics,
      ongoing: active > 0 || latest.status === "Pending" || latest.status === "Running",
      trigger: latest.trigger === "SCHEDULE" ? "Schedule" : "Manual",
      requester: String((latest.extraAttrs as Record<string, unknown>)["operator"] ?? ""),
    };
  }

  /** Stops the latest scan-all's scans that have not finished. */
  async stopScanAll(): Promise<void> {
    const latest = await this.db.execution.findFirst({ where: { vendorType: SCAN_ALL_VENDOR_TYPE }, orderBy: { id: "desc" } });
    if (!latest) throw new NotFoundError("no scan-all has run");
    // The execution's stop request ends a fan-out still starting scans; its scans not finished stop.
    await this.db.$transaction(async (tx) => {
      await ExecutionStore.requestStop(tx, latest.id);
      await tx.scanReport.updateMany({
        where: { executionId: latest.id, status: { in: ["Pending", "Running"] } },
        data: { status: "Stopped", statusMessage: "scan-all stopped by request", endTime: new Date() },
      });
    });
  }
}
