/**
 * `@berth/secrets`: secrets at rest (ARCHITECTURE.md, shared contracts). One data key,
 * `${BERTH_DATA_DIR}/secrets/data-key` — 32 random bytes, mode 0600, created on the first start by
 * the launcher or the compose init step — seals the credentials Berth stores (registry endpoints,
 * LDAP bind password, OIDC client secret, scanner credentials). Sealed values are
 * `v1.<iv>.<ciphertext>.<tag>` (base64url), AES-256-GCM: tampering, a wrong key or a value sealed
 * for another context fails to open instead of yielding garbage.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { closeSync, constants, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError } from "@berth/config";

/** Length of the data key in bytes (AES-256). */
export const DATA_KEY_BYTES = 32;

/** The data key's path under a data directory. */
export function dataKeyPath(dataDir: string): string {
  return join(dataDir, "secrets", "data-key");
}

/** Thrown when the data key is missing or malformed, or a sealed value cannot be opened. */
export class SecretError extends Error {
  override name = "SecretError";
}

/** An opaque data key; build one with {@link loadDataKey} or {@link ensureDataKey}. */
export class DataKey {
  private constructor(private readonly bytes: Buffer) {}

  /** Wraps raw key bytes (exactly {@link DATA_KEY_BYTES}). */
  static fromBytes(bytes: Uint8Array): DataKey {
    if (bytes.length !== DATA_KEY_BYTES) throw new SecretError(`a data key is ${DATA_KEY_BYTES} bytes, got ${bytes.length}`);
    return new DataKey(Buffer.from(bytes));
  }

  /**
   * Seals `plaintext`. `context` (e.g. `registry:12:credential`) is bound to the value as
   * associated data: opening it under another context fails, so a sealed value copied to another
   * row is useless there.
   */
  seal(plaintext: string, context = ""): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.bytes, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return ["v1", iv, ct, cipher.getAuthTag()].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
  }

  /**
   * A secret derived for `purpose` (HMAC-SHA256 of it under the data key, hex): every holder of
   * the data key computes the same value, and it reveals nothing about the key. The scanner
   * adapter's default API key is `derive("scanner-adapter:api-key")`.
   */
  derive(purpose: string): string {
    return createHmac("sha256", this.bytes).update(purpose, "utf8").digest("hex");
  }

  /** Opens a value made by {@link seal} with the same `context`; throws {@link SecretError} otherwise. */
  open(sealed: string, context = ""): string {
    const parts = sealed.split(".");
    if (parts.length !== 4 || parts[0] !== "v1") throw new SecretError("not a sealed value");
    const [iv, ct, tag] = parts.slice(1).map((p) => Buffer.from(p, "base64url")) as [Buffer, Buffer, Buffer];
    if (iv.length !== 12 || tag.length !== 16) throw new SecretError("not a sealed value");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.bytes, iv);
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
    } catch {
      throw new SecretError("the sealed value does not open with this data key (wrong key, context, or tampered)");
    }
  }
}

/** Reads the data key at `file`; a clear {@link SecretError} when it is missing or malformed. */
export function loadDataKey(file: string): DataKey {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new SecretError(`cannot read the data key ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)} (it is created on the first start)`);
  }
  if (bytes.length !== DATA_KEY_BYTES) throw new SecretError(`the data key ${file} holds ${bytes.length} bytes, not ${DATA_KEY_BYTES}`);
  return DataKey.fromBytes(bytes);
}

/**
 * {@link loadDataKey} at a service's start: a missing or malformed key is a configuration problem
 * (a {@link ConfigError} naming `setting`: the service exits 2 without a stack trace).
 */
export function loadDataKeyForService(file: string, setting = "BERTH_DATA_KEY_FILE"): DataKey {
  try {
    return loadDataKey(file);
  } catch (err) {
    if (err instanceof SecretError) throw new ConfigError([`${setting}: ${err.message}`]);
    throw err;
  }
}

/**
 * Creates the data key at `file` (32 random bytes, mode 0600, parents 0700) unless it exists, and
 * returns it. Creation is exclusive, so two processes racing on a first start agree on one key.
 * Returns whether this call created it.
 */
export function ensureDataKey(file: string): { key: DataKey; created: boolean } {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return { key: loadDataKey(file), created: false };
    throw err;
  }
  try {
    writeSync(fd, randomBytes(DATA_KEY_BYTES));
  } finally {
    closeSync(fd);
  }
  return { key: loadDataKey(file), created: true };
}

/**
 * The contexts sealed values are bound to, one per kind of stored credential (defined once: the
 * service that seals and the one that opens must agree). Add LDAP, OIDC and scanner ones here.
 */
export const SECRET_CONTEXTS = {
  /** A registry endpoint's `access_secret` (`registries` row `id`). */
  registryEndpoint: (id: number): string => `registry:${id}:access_secret`,
} as const;
