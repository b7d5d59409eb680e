/** What a project request may carry (shared by project and quota routes). */
import { z } from "zod";

/** Harbor's project name grammar: lowercase alphanumerics separated by single `.`, `_` or `-`. */
export const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export function isValidProjectName(name: string): boolean {
  return name.length >= 1 && name.length <= 255 && PROJECT_NAME.test(name);
}

/** A storage limit in bytes: -1 for unlimited, else positive (and a safe integer). */
export const storageLimit = z
  .number()
  .int()
  .refine((n) => n === -1 || (n > 0 && Number.isSafeInteger(n)), "must be -1 (unlimited) or a positive number of bytes");
