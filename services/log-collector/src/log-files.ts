/**
 * The on-disk layout, in one place (the store writes it, the query reads it):
 *
 *   <logDir>/<service>.log                               current file, JSON lines, appended
 *   <logDir>/<service>.<YYYYMMDDTHHMMSSmmmZ>-<n>.log.gz  rotated files (UTC rotation time, n ≥ 1)
 *   <logDir>/.<service>.history                          rotating-file-stream's retention list
 *
 * Service names are `[a-z0-9-]` (see `sanitizeService`), so the first dot ends the name.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";

export const currentFileName = (service: string): string => `${service}.log`;
export const historyFileName = (service: string): string => `.${service}.history`;

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

export function rotatedFileName(service: string, time: Date, index: number): string {
  const stamp =
    `${time.getUTCFullYear()}${pad(time.getUTCMonth() + 1)}${pad(time.getUTCDate())}` +
    `T${pad(time.getUTCHours())}${pad(time.getUTCMinutes())}${pad(time.getUTCSeconds())}${pad(time.getUTCMilliseconds(), 3)}Z`;
  return `${service}.${stamp}-${index}.log.gz`;
}

const CURRENT = /^([a-z0-9-]+)\.log$/;
const ROTATED = /^([a-z0-9-]+)\.(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-(\d+)\.log\.gz$/;

export interface RotatedFile {
  path: string;
  /** When rotation closed it: every line in it was written before this instant. */
  rotatedAt: number;
  index: number;
}

export interface ServiceFiles {
  service: string;
  /** Absolute path of the current file, when it exists. */
  current: string | undefined;
  /** Newest first. */
  rotated: RotatedFile[];
}

/** Every service with files under `dir`, each with its files newest first. */
export async function listLogFiles(dir: string): Promise<Map<string, ServiceFiles>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw err;
  }
  const services = new Map<string, ServiceFiles>();
  const get = (service: string): ServiceFiles => {
    let files = services.get(service);
    if (!files) {
      files = { service, current: undefined, rotated: [] };
      services.set(service, files);
    }
    return files;
  };
  for (const name of names) {
    const current = CURRENT.exec(name);
    if (current) {
      get(current[1]!).current = path.join(dir, name);
      continue;
    }
    const rotated = ROTATED.exec(name);
    if (rotated) {
      const [, service, y, mo, d, h, mi, s, ms, index] = rotated.map(String);
      get(service!).rotated.push({
        path: path.join(dir, name),
        rotatedAt: Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms)),
        index: Number(index),
      });
    }
  }
  for (const files of services.values()) {
    files.rotated.sort((a, b) => b.rotatedAt - a.rotatedAt || b.index - a.index);
  }
  return services;
}
