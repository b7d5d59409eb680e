/**
 * RPM packages from rpm's SQLite database (`rpmdb.sqlite`, RHEL 9, Fedora, Rocky, Alma): the
 * `Packages` table holds one header blob per package, read with Node's built-in `node:sqlite`
 * from a temporary copy of the file. A header blob is `il` (entries) and `dl` (data bytes), both
 * big-endian int32, then `il` index entries `{tag, type, offset, count}` and the data store.
 */
import { DatabaseSync } from "node:sqlite";
import type { FoundPackage } from "../packages.js";

export const isRpmDatabase = (path: string) => path === "var/lib/rpm/rpmdb.sqlite" || path === "usr/lib/sysimage/rpm/rpmdb.sqlite";

const TAG = { name: 1000, version: 1001, release: 1002, epoch: 1003, license: 1014, arch: 1022, sourceRpm: 1044 } as const;
const STRING = 6;
const INT32 = 4;
const I18NSTRING = 9;

/** The fields of one header blob (`undefined` when it is not a header). */
export function parseRpmHeader(blob: Uint8Array): Map<number, string | number> | undefined {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length < 8) return undefined;
  const il = buf.readInt32BE(0);
  const dl = buf.readInt32BE(4);
  const dataStart = 8 + il * 16;
  if (il < 0 || dl < 0 || dataStart + dl > buf.length) return undefined;
  const fields = new Map<number, string | number>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = buf.readInt32BE(at);
    const type = buf.readInt32BE(at + 4);
    const offset = buf.readInt32BE(at + 8);
    if (offset < 0 || offset >= dl) continue;
    const pos = dataStart + offset;
    if (type === STRING || type === I18NSTRING) {
      const end = buf.indexOf(0, pos);
      if (end >= 0 && end <= dataStart + dl) fields.set(tag, buf.toString("utf8", pos, end));
    } else if (type === INT32 && pos + 4 <= dataStart + dl) {
      fields.set(tag, buf.readInt32BE(pos));
    }
  }
  return fields;
}

/** Packages of the rpm database at `file` (a copy on disk). */
export function readRpmDatabase(file: string): FoundPackage[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const rows = db.prepare("SELECT blob FROM Packages").all() as { blob: Uint8Array }[];
    const out: FoundPackage[] = [];
    for (const row of rows) {
      const f = parseRpmHeader(row.blob);
      const name = f?.get(TAG.name);
      const version = f?.get(TAG.version);
      if (typeof name !== "string" || typeof version !== "string" || name === "gpg-pubkey") continue;
      const release = f!.get(TAG.release);
      const epoch = f!.get(TAG.epoch);
      const full = `${typeof epoch === "number" && epoch > 0 ? `${epoch}:` : ""}${version}${typeof release === "string" ? `-${release}` : ""}`;
      const source = /^(.+)-[^-]+-[^-]+\.(?:no)?src\.rpm$/.exec(String(f!.get(TAG.sourceRpm) ?? ""));
      const arch = f!.get(TAG.arch);
      const license = f!.get(TAG.license);
      out.push({
        type: "rpm",
        name,
        version: full,
        sourceName: source?.[1] ?? name,
        sourceVersion: full,
        ...(typeof arch === "string" && { arch }),
        ...(typeof license === "string" && { license }),
      });
    }
    return out;
  } finally {
    db.close();
  }
}
