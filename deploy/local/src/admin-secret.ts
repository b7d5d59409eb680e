import { randomInt } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER = "abcdefghijkmnopqrstuvwxyz";
const DIGIT = "23456789";
const ALPHABET = UPPER + LOWER + DIGIT;

/** A random password (crypto RNG) of `length` ≥ 16 with at least one upper, lower and digit. */
export function generatePassword(length = 24): string {
  if (length < 16) throw new RangeError("passwords are at least 16 characters");
  for (;;) {
    let pw = "";
    for (let i = 0; i < length; i++) pw += ALPHABET[randomInt(ALPHABET.length)];
    if (/[A-Z]/.test(pw) && /[a-z]/.test(pw) && /[0-9]/.test(pw)) return pw;
  }
}

export interface AdminPassword {
  password: string;
  /** `env`: BERTH_ADMIN_PASSWORD; `file`: kept from an earlier start; `generated`: new now. */
  source: "env" | "file" | "generated";
  /** Where a generated password is kept. */
  file: string;
}

/**
 * The initial admin password: BERTH_ADMIN_PASSWORD when given; else the one kept in
 * `<data>/secrets/admin-password` by an earlier start; else a new one, written there (0600).
 */
export function resolveAdminPassword(dataDir: string, fromEnv: string | undefined): AdminPassword {
  const dir = join(dataDir, "secrets");
  const file = join(dir, "admin-password");
  if (fromEnv) return { password: fromEnv, source: "env", file };
  try {
    const kept = readFileSync(file, "utf8").trim();
    if (kept) return { password: kept, source: "file", file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const password = generatePassword();
  writeFileSync(file, `${password}\n`, { mode: 0o600, flag: "wx" });
  return { password, source: "generated", file };
}
