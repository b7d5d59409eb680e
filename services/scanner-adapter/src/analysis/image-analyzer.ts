/**
 * Finds an image's OS and packages by streaming its layers in order, as a container runtime would
 * stack them: a layer's whiteouts (`.wh.<name>`) remove what lower layers put at that path, an
 * opaque directory (`.wh..wh..opq`) hides everything lower layers put under it, and a later
 * layer's file replaces an earlier one. Only files a detector reads are remembered (with the
 * packages found in them), never file contents; each package carries the layer it first appeared
 * in (while it stayed installed at that version).
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { isApkDatabase, parseApkDatabase } from "./detectors/apk.js";
import { isDpkgDatabase, parseDpkgDatabase } from "./detectors/dpkg.js";
import { GoBuildInfoScanner } from "./detectors/go-binary.js";
import { isJavaArchive, readJavaArchive } from "./detectors/java.js";
import { isNpmFile, parseNpmFile } from "./detectors/npm.js";
import { OS_RELEASE_PATHS, parseOsRelease } from "./detectors/os-release.js";
import { isPythonMetadata, parsePythonMetadata } from "./detectors/python.js";
import { isRpmDatabase, readRpmDatabase } from "./detectors/rpm.js";
import { forEachChunk, readEntry, walkLayer, type EntryStream, type LayerEntry } from "./layer-stream.js";
import { purlOf, type FoundPackage, type ImageAnalysis, type ImagePackage, type LayerRef, type OsInfo } from "./packages.js";
import { Readable } from "node:stream";

/** A text database larger than this is not read (the largest dpkg status files are a few MiB). */
const MAX_TEXT_FILE = 64 * 1024 * 1024;
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

interface FileState {
  layer: number;
  packages: FoundPackage[];
  /** package key → the lowest layer since which this path has held it. */
  since: Map<string, number>;
}

const keyOf = (p: FoundPackage) => `${p.type}\0${p.name}\0${p.version}`;

/** The layers of an image, in order, each with a way to stream its blob. */
export interface LayerSource {
  ref: LayerRef;
  open(): Promise<Readable>;
}

export class ImageAnalyzer {
  #files = new Map<string, FileState>();
  #osRelease = new Map<string, { content?: Buffer; link?: string }>();
  #workDir: string | undefined;

  constructor(private readonly options: { tempDir?: string } = {}) {}

  async analyze(layers: readonly LayerSource[]): Promise<ImageAnalysis> {
    this.#workDir = await mkdtemp(join(this.options.tempDir ?? tmpdir(), "berth-scan-"));
    try {
      for (let i = 0; i < layers.length; i++) await this.#layer(i, await layers[i]!.open());
      return this.#result(layers.map((l) => l.ref));
    } finally {
      await rm(this.#workDir, { recursive: true, force: true });
    }
  }

  async #layer(index: number, blob: Readable): Promise<void> {
    const removed: string[] = [];
    const opaque: string[] = [];
    const added = new Map<string, FoundPackage[]>();
    const osAdded = new Map<string, { content?: Buffer; link?: string }>();
    await walkLayer(blob, async (entry) => {
      const slash = entry.path.lastIndexOf("/");
      const dir = slash >= 0 ? entry.path.slice(0, slash) : "";
      const base = entry.path.slice(slash + 1);
      if (base === ".wh..wh..opq") return void opaque.push(dir);
      if (base.startsWith(".wh.")) return void removed.push(dir ? `${dir}/${base.slice(4)}` : base.slice(4));
      if (OS_RELEASE_PATHS.includes(entry.path)) {
        if (entry.header.type === "symlink" && entry.header.linkname) osAdded.set(entry.path, { link: entry.header.linkname });
        else if (entry.header.type === "file") osAdded.set(entry.path, { content: (await readEntry(entry.stream, 65_536)) ?? Buffer.alloc(0) });
        return;
      }
      if (entry.header.type !== "file" && entry.header.type !== "contiguous-file") return;
      const found = await this.#detect(entry);
      if (found !== undefined) added.set(entry.path, found);
    });
    // Whiteouts and opaque directories hide what LOWER layers put there; this layer's own files stay.
    const hidden = (path: string) => removed.some((r) => path === r || path.startsWith(`${r}/`)) || opaque.some((d) => d === "" || path.startsWith(`${d}/`));
    for (const path of [...this.#files.keys()]) if (hidden(path)) this.#files.delete(path);
    for (const path of [...this.#osRelease.keys()]) if (hidden(path)) this.#osRelease.delete(path);
    for (const [path, packages] of added) {
      const before = this.#files.get(path);
      const since = new Map(packages.map((p) => [keyOf(p), before?.since.get(keyOf(p)) ?? index]));
      this.#files.set(path, { layer: index, packages, since });
    }
    for (const [path, v] of osAdded) this.#osRelease.set(path, v);
  }

  /** Packages in the entry's file, or `undefined` when no detector reads it (it is drained). */
  async #detect(entry: LayerEntry): Promise<FoundPackage[] | undefined> {
    const { path, stream } = entry;
    const text = async (parse: (p: string, c: Buffer) => FoundPackage[]) => {
      const content = await readEntry(stream, MAX_TEXT_FILE);
      return content ? parse(path, content) : [];
    };
    if (isDpkgDatabase(path)) return text(parseDpkgDatabase);
    if (isApkDatabase(path)) return text(parseApkDatabase);
    if (isNpmFile(path)) return text(parseNpmFile);
    if (isPythonMetadata(path)) return text(parsePythonMetadata);
    if (isRpmDatabase(path)) return readRpmDatabase(await this.#spill(stream));
    if (isJavaArchive(path)) {
      const file = await this.#spill(stream);
      try {
        return await readJavaArchive(file);
      } catch {
        return []; // not a readable zip: nothing to report
      } finally {
        await rm(file, { force: true });
      }
    }
    const mode = entry.header.mode ?? 0;
    if ((mode & 0o111) !== 0 && (entry.header.size ?? 0) > 1024) {
      let first = true;
      let elf = false;
      const scanner = new GoBuildInfoScanner();
      await forEachChunk(stream, (chunk) => {
        if (first) {
          elf = chunk.subarray(0, 4).equals(ELF);
          first = false;
        }
        if (elf) scanner.push(chunk);
      });
      const info = elf ? scanner.result() : undefined;
      return info && info.modules.length ? info.modules : undefined;
    }
    return undefined;
  }

  /** Writes an entry to a temporary file (databases and archives need random access). */
  async #spill(stream: EntryStream): Promise<string> {
    const file = join(this.#workDir!, `entry-${randomUUID()}`);
    await pipeline(Readable.from(stream), createWriteStream(file));
    return file;
  }

  #os(): OsInfo | undefined {
    for (let path = "etc/os-release", hops = 0; hops < 4; hops++) {
      const entry = this.#osRelease.get(path);
      if (!entry) break;
      if (entry.content) return parseOsRelease(entry.content);
      const target = entry.link!.startsWith("/") ? entry.link!.slice(1) : join(path, "..", entry.link!).replace(/^\/+/, "");
      path = target;
    }
    const fallback = this.#osRelease.get("usr/lib/os-release")?.content;
    return fallback ? parseOsRelease(fallback) : undefined;
  }

  #result(layers: LayerRef[]): ImageAnalysis {
    const os = this.#os();
    const seen = new Set<string>();
    const packages: ImagePackage[] = [];
    for (const [path, state] of [...this.#files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const p of state.packages) {
        const key = keyOf(p);
        if (seen.has(key)) continue; // the same package listed twice (a lockfile and node_modules)
        seen.add(key);
        packages.push({ ...p, path, layer: layers[state.since.get(key) ?? state.layer]!, purl: purlOf(p, os) });
      }
    }
    return { os, packages, layers };
  }
}
