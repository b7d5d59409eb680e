import { hash, verify } from "@node-rs/argon2";

/** argon2id with the library's defaults (OWASP's recommended minimums). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false; // a malformed stored hash never authenticates
  }
}

/** Harbor's rule: at least 8 characters with an upper-case letter, a lower-case letter and a digit. */
export function isStrongPassword(password: string): boolean {
  return password.length >= 8 && password.length <= 128 && /[A-Z]/.test(password) && /[a-z]/.test(password) && /[0-9]/.test(password);
}

// A real hash of a random string, made on first use: checking against it costs what a real
// check costs, so an unknown account takes as long to refuse as a wrong password.
let decoyHash: Promise<string> | undefined;

/** Spends a real verification on nothing and answers false (for unknown users and robots). */
export async function verifyDecoy(password: string): Promise<false> {
  decoyHash ??= hashPassword(crypto.randomUUID());
  await verifyPassword(await decoyHash, password);
  return false;
}
