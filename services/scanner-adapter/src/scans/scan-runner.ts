/**
 * Runs accepted scans in this process, `concurrency` at a time: pull the image with the request's
 * authorization, analyse its layers, match the database, keep the results. The authorization
 * lives in memory only, for as long as the scan waits and runs.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@berth/logger";
import type { ScannerInfo } from "@berth/scanning";
import { ImageAnalyzer } from "../analysis/image-analyzer.js";
import type { ImageSource } from "../image/image-source.js";
import { vulnerabilityReport } from "../reports/vulnerability-report.js";
import type { VulnerabilityMatcher } from "../vulndb/matcher.js";
import type { AdapterScanStore, StoredRequest } from "./scan-store.js";

export interface ScanRunnerOptions {
  store: AdapterScanStore;
  matcher: VulnerabilityMatcher;
  scanner: ScannerInfo;
  logger: Logger;
  concurrency: number;
  /** The image a request names (tests and other registries plug in here). */
  imageSource(request: StoredRequest, authorization: string | undefined): ImageSource;
  tempDir?: string | undefined;
  heartbeatMs?: number;
}

export class ScanRunner {
  readonly #queue: { id: string; request: StoredRequest; authorization: string | undefined }[] = [];
  readonly #active = new Set<string>();
  readonly #idle = new Set<() => void>();
  readonly #heartbeat: NodeJS.Timeout;

  constructor(private readonly o: ScanRunnerOptions) {
    this.#heartbeat = setInterval(() => {
      void o.store.touch([...this.#active, ...this.#queue.map((q) => q.id)]).catch(() => undefined);
    }, o.heartbeatMs ?? 10_000);
    this.#heartbeat.unref();
  }

  /** Records the request and queues it; returns its id. */
  async accept(request: StoredRequest, authorization: string | undefined): Promise<string> {
    const id = randomUUID();
    await this.o.store.create(id, request);
    this.#queue.push({ id, request, authorization });
    this.#pump();
    return id;
  }

  #pump(): void {
    while (this.#active.size < this.o.concurrency && this.#queue.length) {
      const next = this.#queue.shift()!;
      this.#active.add(next.id);
      void this.#run(next.id, next.request, next.authorization).finally(() => {
        this.#active.delete(next.id);
        if (this.#active.size === 0 && this.#queue.length === 0) for (const resolve of this.#idle) resolve();
        this.#pump();
      });
    }
  }

  async #run(id: string, request: StoredRequest, authorization: string | undefined): Promise<void> {
    const started = Date.now();
    try {
      await this.o.store.running(id);
      const image = await this.o.imageSource(request, authorization).resolve();
      const analysis = await new ImageAnalyzer({ tempDir: this.o.tempDir }).analyze(image.layers);
      const findings = request.capabilities.vulnerability ? await this.o.matcher.match(analysis.packages, analysis.os) : [];
      const generatedAt = new Date();
      const artifact = { ...request.artifact };
      await this.o.store.succeed(id, { generatedAt: generatedAt.toISOString(), analysis, vulnerability: vulnerabilityReport(artifact, this.o.scanner, findings, generatedAt) });
      this.o.logger.info(`scanned ${request.artifact.repository}@${request.artifact.digest}`, {
        scan: id,
        packages: analysis.packages.length,
        vulnerabilities: findings.length,
        ms: Date.now() - started,
      });
    } catch (err) {
      this.o.logger.warn(`scan of ${request.artifact.repository}@${request.artifact.digest} failed`, { scan: id, err: (err as Error).message });
      await this.o.store.fail(id, (err as Error).message).catch(() => undefined);
    }
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.#active.size === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#idle.delete(done);
        resolve();
      };
      this.#idle.add(done);
    });
  }

  /** Stops taking work; running scans finish (their rows time out if the process exits first). */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#queue.length = 0;
    await this.idle();
  }
}
