/**
 * Keeping the database fresh: at start-up an import of `BERTH_SCANNER_DB_DIR` (offline sites copy
 * OSV's zips or records there), and with `BERTH_SCANNER_DB_URL` a download on the
 * `BERTH_SCANNER_DB_UPDATE_CRON` schedule (validated by the one cron validator). One import at a
 * time across replicas (a lease row in `vuln_db_imports`).
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@berth/logger";
import { nextCronRun } from "@berth/queue/cron";
import { importDirectory, importFromUrl, importZip, type ImportResult } from "./osv-import.js";
import type { OsvStore } from "./osv-store.js";

const LEASE_MS = 3_600_000;

export interface VulnDbUpdaterOptions {
  store: OsvStore;
  logger: Logger;
  dir?: string | undefined;
  url?: string | undefined;
  cron: string;
}

export class VulnDbUpdater {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  constructor(private readonly o: VulnDbUpdaterOptions) {}

  /** Runs `work` as one leased import; `undefined` when another import holds the lease. */
  async #leased(source: string, work: () => Promise<ImportResult>): Promise<ImportResult | undefined> {
    const id = await this.o.store.beginImport(source, LEASE_MS);
    if (id === undefined) return undefined;
    try {
      const result = await work();
      await this.o.store.endImport(id, { status: "Success", advisories: result.imported, message: result.errors.join("\n") });
      this.o.logger.info(`vulnerability database: imported ${result.imported} advisories from ${source}${result.skipped ? `, skipped ${result.skipped} invalid` : ""}`);
      return result;
    } catch (err) {
      await this.o.store.endImport(id, { status: "Error", advisories: 0, message: (err as Error).message });
      throw err;
    }
  }

  /** Imports a directory: its `*.zip` files, then its `*.json` records. */
  importDirectory(dir: string): Promise<ImportResult | undefined> {
    return this.#leased(`dir:${dir}`, async () => {
      const total: ImportResult = { imported: 0, skipped: 0, errors: [] };
      const add = (r: ImportResult) => {
        total.imported += r.imported;
        total.skipped += r.skipped;
        total.errors.push(...r.errors);
      };
      for (const name of (await readdir(dir)).sort()) {
        const path = join(dir, name);
        if (name.endsWith(".zip") && (await stat(path)).isFile()) add(await importZip(this.o.store, path));
      }
      add(await importDirectory(this.o.store, dir));
      return total;
    });
  }

  refreshFromUrl(url: string): Promise<ImportResult | undefined> {
    return this.#leased(`url:${url}`, () => importFromUrl(this.o.store, url));
  }

  /** The start-up import (if a directory is set) and the schedule (if a URL is set). */
  async start(): Promise<void> {
    if (this.o.dir) {
      try {
        await this.importDirectory(this.o.dir);
      } catch (err) {
        this.o.logger.error(`vulnerability database: import of ${this.o.dir} failed`, { err });
      }
    }
    if (this.o.url) this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    const next = nextCronRun(this.o.cron);
    const delay = Math.max(1_000, Math.min(next.getTime() - Date.now(), 2 ** 31 - 1));
    this.#timer = setTimeout(() => {
      void this.refreshFromUrl(this.o.url!)
        .catch((err: unknown) => this.o.logger.error(`vulnerability database: refresh from ${this.o.url} failed`, { err }))
        .finally(() => this.#schedule());
    }, delay);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
