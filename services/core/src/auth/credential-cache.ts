/**
 * Verified credentials, so that a client sending the same Basic credentials with every request
 * (docker and CI fetching a token per repository, API scripts) pays the password hash — argon2id,
 * slow on purpose — once instead of on every request.
 *
 * What is kept: for a successful check, HMAC-SHA256(a random key of this process, account and
 * password) → the stored hash the password was verified against. Never the password. A hit
 * counts only while the account's stored hash is still that one (the caller reads it from the
 * database on every request anyway), so a changed password or robot secret invalidates every
 * cached entry at once, on every core process. Failed checks are never cached: a wrong password
 * always costs the full hash (and the failed-login limiter still counts it). Entries live at most
 * `ttlMs` and at most `maxEntries` are kept (least recently used dropped first). Concurrent checks
 * of the same credentials share one hash computation.
 *
 * The trade: someone who can read this process's memory could test password guesses against the
 * cached HMACs at HMAC speed instead of argon2 speed, for entries younger than `ttlMs`; such a
 * reader also holds the token signing key. `BERTH_CREDENTIAL_CACHE_SECONDS=0` turns it off.
 */
import { createHmac, randomBytes } from "node:crypto";
import { counter } from "@berth/metrics";

export interface CredentialCacheOptions {
  /** How long a verified check is reused (ms); 0 disables the cache. */
  ttlMs: number;
  /** Most entries kept. */
  maxEntries: number;
}

/** How a stored hash is checked (argon2id in `users/password.ts`). */
export type VerifyPassword = (stored: string, password: string) => Promise<boolean>;

const checks = counter({ name: "berth_credential_checks_total", help: "Password and robot secret checks, by outcome (cached: a hit; verified/refused: a full hash)", labelNames: ["outcome"] });

export class CredentialCache {
  readonly #key = randomBytes(32);
  readonly #entries = new Map<string, { stored: string; expiresAt: number }>();
  readonly #inFlight = new Map<string, Promise<boolean>>();

  constructor(
    private readonly verifyHash: VerifyPassword,
    private readonly options: CredentialCacheOptions,
  ) {}

  /** Whether `password` matches `stored`, the current hash of `account` (`user:<name>`, `robot:<name>`). */
  async verify(account: string, stored: string, password: string): Promise<boolean> {
    if (this.options.ttlMs <= 0 || this.options.maxEntries <= 0) return this.#count(await this.verifyHash(stored, password));
    const id = createHmac("sha256", this.#key).update(account).update("\0").update(password).digest("base64url");
    const entry = this.#entries.get(id);
    if (entry !== undefined) {
      if (entry.stored === stored && entry.expiresAt > performance.now()) {
        this.#entries.delete(id); // keep the most recently used last
        this.#entries.set(id, entry);
        checks.inc({ outcome: "cached" });
        return true;
      }
      this.#entries.delete(id);
    }
    const key = `${id}\0${stored}`;
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = this.verifyHash(stored, password).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    const ok = this.#count(await pending);
    if (ok) {
      this.#entries.set(id, { stored, expiresAt: performance.now() + this.options.ttlMs });
      if (this.#entries.size > this.options.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return ok;
  }

  #count(ok: boolean): boolean {
    checks.inc({ outcome: ok ? "verified" : "refused" });
    return ok;
  }
}
