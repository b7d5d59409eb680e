/**
 * Filling the database from OSV's published form: a directory of `*.json` records (walked
 * recursively), a zip of them (osv.dev's per-ecosystem `all.zip`), or a URL serving such a zip
 * (downloaded to a temporary file, never held in memory). Records go in batches; a record that
 * is not valid OSV is counted and skipped, never half-imported.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";
import { parseOsvRecord, type OsvRecord } from "./osv-record.js";
import type { OsvStore } from "./osv-store.js";

export const IMPORT_BATCH = 500;
/** An OSV record larger than this is refused (the largest published ones are a few hundred KiB). */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export interface ImportResult {
  imported: number;
  skipped: number;
  errors: string[];
}

class Batcher {
  readonly result: ImportResult = { imported: 0, skipped: 0, errors: [] };
  #batch: OsvRecord[] = [];
  constructor(
    private readonly store: OsvStore,
    private readonly source: string,
  ) {}

  async add(name: string, text: string): Promise<void> {
    try {
      this.#batch.push(parseOsvRecord(JSON.parse(text)));
    } catch (err) {
      this.result.skipped++;
      if (this.result.errors.length < 20) this.result.errors.push(`${name}: ${(err as Error).message.slice(0, 300)}`);
      return;
    }
    if (this.#batch.length >= IMPORT_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    const batch = this.#batch;
    this.#batch = [];
    // A zip may hold one id twice (an advisory listed under two names): the last one wins.
    const unique = [...new Map(batch.map((r) => [r.id, r])).values()];
    await this.store.upsert(unique, this.source);
    this.result.imported += unique.length;
  }
}

/** Imports every `*.json` under `dir`. */
export async function importDirectory(store: OsvStore, dir: string): Promise<ImportResult> {
  const batcher = new Batcher(store, `dir:${dir}`);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith(".json")) continue;
    const path = join(e.parentPath, e.name);
    await batcher.add(path, await readFile(path, "utf8"));
  }
  await batcher.flush();
  return batcher.result;
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, zip) => (err ? reject(err) : resolve(zip!))));
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<string> {
  const stream = await new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s!))));
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Imports every `*.json` entry of the zip `file` (entries are read one at a time). */
export async function importZip(store: OsvStore, file: string, source = `zip:${file}`): Promise<ImportResult> {
  const batcher = new Batcher(store, source);
  const zip = await openZip(file);
  await new Promise<void>((resolve, reject) => {
    zip.on("error", reject);
    zip.on("end", resolve);
    zip.on("entry", (entry: yauzl.Entry) => {
      void (async () => {
        if (!entry.fileName.endsWith("/") && entry.fileName.endsWith(".json")) {
          if (entry.uncompressedSize > MAX_RECORD_BYTES) batcher.result.skipped++;
          else await batcher.add(entry.fileName, await readEntry(zip, entry));
        }
        zip.readEntry();
      })().catch((err: unknown) => {
        zip.close();
        reject(err as Error);
      });
    });
    zip.readEntry();
  });
  await batcher.flush();
  return batcher.result;
}

/** Downloads the zip at `url` to a temporary file and imports it. */
export async function importFromUrl(store: OsvStore, url: string, options: { timeoutMs?: number } = {}): Promise<ImportResult> {
  const dir = await mkdtemp(join(tmpdir(), "berth-osv-"));
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 600_000) });
    if (res.status !== 200 || !res.body) throw new Error(`GET ${url} answered ${res.status}`);
    const file = join(dir, "osv.zip");
    await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), createWriteStream(file));
    return await importZip(store, file, `url:${url}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
