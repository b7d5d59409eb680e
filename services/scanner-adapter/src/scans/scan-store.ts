/**
 * The adapter's scan requests (`adapter_scans`): accepted requests (without their credentials),
 * their state and results. Rows of a running scan are touched every few seconds; a Pending or
 * Running row nobody touched for {@link LOST_AFTER_MS} belonged to an adapter process that
 * stopped, and reads as failed.
 */
import type { PrismaClient } from "@berth/db";
import type { HarborVulnerabilityReport } from "@berth/scanning";
import type { ImageAnalysis } from "../analysis/packages.js";

export const LOST_AFTER_MS = 120_000;
/** Finished requests are kept this long for their reports to be fetched. */
export const KEEP_MS = 7 * 24 * 3_600_000;

/** What a successful scan keeps: the analysis (SBOMs are rendered from it) and the vulnerability report. */
export interface ScanResults {
  generatedAt: string;
  analysis: ImageAnalysis;
  vulnerability: HarborVulnerabilityReport;
}

export type ScanState =
  | { status: "Pending" | "Running" }
  | { status: "Error"; message: string }
  | { status: "Success"; request: StoredRequest; results: ScanResults };

/** The scan request as stored (the registry authorization is never stored). */
export interface StoredRequest {
  registry: { url: string };
  artifact: { repository: string; digest: string; tag?: string | undefined; mime_type?: string | undefined };
  capabilities: { vulnerability: boolean; sbom: boolean };
}

export class AdapterScanStore {
  constructor(private readonly db: PrismaClient) {}

  async create(id: string, request: StoredRequest): Promise<void> {
    await this.db.adapterScan.create({ data: { id, request: request as object } });
    await this.db.adapterScan.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - KEEP_MS) } } });
  }

  async touch(ids: readonly string[]): Promise<void> {
    if (ids.length) await this.db.adapterScan.updateMany({ where: { id: { in: [...ids] }, status: { in: ["Pending", "Running"] } }, data: { updatedAt: new Date() } });
  }

  async running(id: string): Promise<void> {
    await this.db.adapterScan.update({ where: { id }, data: { status: "Running" } });
  }

  async succeed(id: string, results: ScanResults): Promise<void> {
    await this.db.adapterScan.update({ where: { id }, data: { status: "Success", reports: results as unknown as object } });
  }

  async fail(id: string, message: string): Promise<void> {
    await this.db.adapterScan.update({ where: { id }, data: { status: "Error", message: message.slice(0, 2000) } });
  }

  /** The state of request `id`, or `undefined` when there is none. */
  async state(id: string): Promise<ScanState | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const row = await this.db.adapterScan.findUnique({ where: { id } });
    if (!row) return undefined;
    if (row.status === "Success") return { status: "Success", request: row.request as unknown as StoredRequest, results: row.reports as unknown as ScanResults };
    if (row.status === "Error") return { status: "Error", message: row.message };
    if (Date.now() - row.updatedAt.getTime() > LOST_AFTER_MS) return { status: "Error", message: "the scan was lost: the adapter process running it stopped; scan again" };
    return { status: row.status as "Pending" | "Running" };
  }
}
