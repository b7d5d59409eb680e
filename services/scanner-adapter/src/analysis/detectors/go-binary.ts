/**
 * Go binaries: the build information the Go linker embeds (Go 1.18+; `go version -m` reads the
 * same): a 32-byte header starting `\xff Go buildinf:`, then — with flag bit 2 — the Go version
 * and the module information as varint-prefixed strings. The module information lists the main
 * module (`mod`), dependencies (`dep`) and replacements (`=>`). Binaries are scanned as they
 * stream by; only the bytes after the header are kept.
 */
import type { FoundPackage } from "../packages.js";

const MAGIC = Buffer.from("\xff Go buildinf:", "latin1");
/** What the header and both strings may take (module lists of large binaries are tens of KiB). */
const KEEP = 1024 * 1024;

function varint(buf: Buffer, at: number): [value: number, next: number] | undefined {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length && shift < 35; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, i + 1];
    shift += 7;
  }
  return undefined;
}

/** Finds the build info in a stream of chunks: feed every chunk, then call `result()`. */
export class GoBuildInfoScanner {
  #tail = Buffer.alloc(0);
  #found: Buffer[] | undefined;
  #kept = 0;

  push(chunk: Buffer): void {
    if (this.#found) {
      if (this.#kept < KEEP) {
        this.#found.push(chunk.subarray(0, KEEP - this.#kept));
        this.#kept += Math.min(chunk.length, KEEP - this.#kept);
      }
      return;
    }
    const window = Buffer.concat([this.#tail, chunk]);
    const at = window.indexOf(MAGIC);
    if (at >= 0) {
      const rest = window.subarray(at, at + KEEP);
      this.#found = [Buffer.from(rest)];
      this.#kept = rest.length;
      return;
    }
    this.#tail = Buffer.from(window.subarray(Math.max(0, window.length - MAGIC.length)));
  }

  /** The Go version and modules, or `undefined` when the binary has no (modern) build info. */
  result(): { goVersion: string; modules: FoundPackage[] } | undefined {
    if (!this.#found) return undefined;
    return parseBuildInfo(Buffer.concat(this.#found));
  }
}

export function parseBuildInfo(buf: Buffer): { goVersion: string; modules: FoundPackage[] } | undefined {
  if (buf.length < 32 || (buf[15]! & 0x2) === 0) return undefined; // pre-1.18 (pointer) format: not read
  const v = varint(buf, 32);
  if (!v) return undefined;
  const goVersion = buf.toString("utf8", v[1], v[1] + v[0]);
  const m = varint(buf, v[1] + v[0]);
  if (!m) return undefined;
  let info = buf.toString("latin1", m[1], m[1] + m[0]);
  if (info.length >= 33 && info[info.length - 17] === "\n") info = info.slice(16, -16); // sentinels around the text
  const modules: FoundPackage[] = [];
  const lines = info.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const f = lines[i]!.split("\t");
    if ((f[0] === "mod" || f[0] === "dep") && f[1] && f[2]) {
      const replaced = lines[i + 1]?.startsWith("=>\t") ? lines[i + 1]!.split("\t") : undefined;
      const name = replaced?.[1] ?? f[1];
      const version = replaced?.[2] ?? f[2];
      if (version !== "(devel)") modules.push({ type: "golang", name, version });
    }
  }
  const std = /^go([0-9][^ ]*)/.exec(goVersion)?.[1];
  if (std) modules.push({ type: "golang", name: "stdlib", version: `v${std}` });
  return { goVersion, modules };
}
