/**
 * `BERTH_TLS=self-signed`: a private CA and a server certificate it signs, kept under
 * `${BERTH_DATA_DIR}/secrets/tls/`. Made on the first start (by the launcher, or by the compose
 * file's `prepare` step); the CA is what clients trust, so it is kept for as long as it is valid,
 * while the server certificate is issued again whenever it no longer fits: a host it must name
 * is missing (the external URL changed), it expires within 30 days, or it is not the CA's.
 */
import { randomBytes, X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { openssl, requestConfig, subjectAltName } from "./openssl.js";

/** The files of a generated certificate. */
export interface SelfSignedFiles {
  dir: string;
  /** The CA certificate: what clients trust (e.g. `/etc/docker/certs.d/<host:port>/ca.crt`). */
  caFile: string;
  caKeyFile: string;
  /** What nginx serves: the server certificate and its key. */
  certFile: string;
  keyFile: string;
}

/** Where a generated certificate is kept under a data directory. */
export function selfSignedFiles(dataDir: string): SelfSignedFiles {
  const dir = join(dataDir, "secrets", "tls");
  return { dir, caFile: join(dir, "ca.crt"), caKeyFile: join(dir, "ca.key"), certFile: join(dir, "server.crt"), keyFile: join(dir, "server.key") };
}

export interface SelfSignedOptions {
  dataDir: string;
  /** Every name and address the server certificate must carry (see `frontDoorHosts`). */
  hosts: readonly string[];
  /** Default now; tests move it. */
  now?: Date;
  /** Days before the end of a certificate's validity at which it is replaced (default 30). */
  renewDays?: number;
}

export interface SelfSignedTls extends SelfSignedFiles {
  /** The CA certificate, PEM. */
  caPem: string;
  caNotAfter: Date;
  certNotAfter: Date;
  /** What this call made, and why (empty: the files were fine as they were). */
  made: string[];
}

const CA_DAYS = 3650;
/** The longest validity browsers accept for a server certificate. */
const SERVER_DAYS = 397;
const DAY_MS = 86_400_000;

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

interface Loaded {
  cert: X509Certificate;
  key: KeyObject;
}

async function load(certFile: string, keyFile: string): Promise<Loaded | string> {
  try {
    const cert = new X509Certificate(await readFile(certFile));
    const key = createPrivateKey(await readFile(keyFile));
    return cert.checkPrivateKey(key) ? { cert, key } : `${keyFile} does not belong to ${certFile}`;
  } catch (err) {
    return `cannot read ${certFile} and ${keyFile}: ${(err as Error).message}`;
  }
}

/** Whether the certificate's subjectAltName carries `host` (an IP address or a DNS name). */
function carries(cert: X509Certificate, host: string): boolean {
  return (isIP(host) !== 0 ? cert.checkIP(host) : cert.checkHost(host, { subject: "never" })) !== undefined;
}

/** Writes the key and certificate made by `openssl req` with `args`, atomically, key 0600. */
async function issue(files: { certFile: string; keyFile: string }, config: string, args: readonly string[]): Promise<void> {
  const tmp = `.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const [configFile, keyTmp, certTmp] = [`${files.certFile}.cnf${tmp}`, `${files.keyFile}${tmp}`, `${files.certFile}${tmp}`];
  try {
    await writeFile(configFile, config, { mode: 0o600 });
    await openssl(["req", "-x509", "-config", configFile, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", ...args, "-keyout", keyTmp, "-out", certTmp]);
    await chmod(keyTmp, 0o600);
    await chmod(certTmp, 0o644);
    await rename(keyTmp, files.keyFile);
    await rename(certTmp, files.certFile);
  } finally {
    await Promise.all([configFile, keyTmp, certTmp].map((f) => rm(f, { force: true })));
  }
}

/**
 * Makes (or keeps) the CA and the server certificate for `hosts`; see the module comment.
 * A CA certificate without its key (or the reverse) is an error rather than replaced: clients
 * may trust that CA.
 */
export async function ensureSelfSignedTls(options: SelfSignedOptions): Promise<SelfSignedTls> {
  const files = selfSignedFiles(options.dataDir);
  const now = options.now ?? new Date();
  const renewBy = new Date(now.getTime() + (options.renewDays ?? 30) * DAY_MS);
  const made: string[] = [];
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  await chmod(files.dir, 0o700);

  const [haveCa, haveCaKey] = await Promise.all([exists(files.caFile), exists(files.caKeyFile)]);
  if (haveCa !== haveCaKey) {
    throw new Error(`${haveCa ? files.caKeyFile : files.caFile} is missing while ${haveCa ? files.caFile : files.caKeyFile} exists; remove both to make a new CA (clients then have to trust the new one)`);
  }
  let ca = haveCa ? await load(files.caFile, files.caKeyFile) : undefined;
  if (typeof ca === "string") throw new Error(`the self-signed CA: ${ca}; remove both files to make a new CA (clients then have to trust the new one)`);
  if (ca && ca.cert.validToDate <= renewBy) {
    made.push(`a new CA: the one made earlier expires on ${ca.cert.validToDate.toISOString()} (clients have to trust the new one)`);
    ca = undefined;
  }
  if (!ca) {
    const name = `Berth self-signed CA ${randomBytes(4).toString("hex")}`;
    await issue({ certFile: files.caFile, keyFile: files.caKeyFile }, requestConfig(name, ["basicConstraints = critical, CA:TRUE, pathlen:0", "keyUsage = critical, keyCertSign, cRLSign", "subjectKeyIdentifier = hash"]), ["-days", String(CA_DAYS)]);
    if (made.length === 0) made.push("a CA");
    const loaded = await load(files.caFile, files.caKeyFile);
    if (typeof loaded === "string") throw new Error(loaded);
    ca = loaded;
  }

  const server = (await exists(files.certFile)) && (await exists(files.keyFile)) ? await load(files.certFile, files.keyFile) : undefined;
  let why: string | undefined;
  if (server === undefined) why = "there was none";
  else if (typeof server === "string") why = server;
  else if (!server.cert.verify(ca.cert.publicKey)) why = "it was not signed by the current CA";
  else if (server.cert.validToDate <= renewBy) why = `it expires on ${server.cert.validToDate.toISOString()}`;
  else {
    const missing = options.hosts.filter((h) => !carries(server.cert, h));
    if (missing.length) why = `it did not name ${missing.join(", ")}`;
  }
  if (why !== undefined) {
    const extensions = ["basicConstraints = critical, CA:FALSE", "keyUsage = critical, digitalSignature", "extendedKeyUsage = serverAuth", subjectAltName(options.hosts), "subjectKeyIdentifier = hash", "authorityKeyIdentifier = keyid"];
    await issue(files, requestConfig((options.hosts[0] ?? "localhost").slice(0, 64), extensions), ["-CA", files.caFile, "-CAkey", files.caKeyFile, "-days", String(SERVER_DAYS)]);
    made.push(`a server certificate for ${options.hosts.join(", ")} (${why})`);
  }
  const cert = new X509Certificate(await readFile(files.certFile));
  return { ...files, caPem: ca.cert.toString(), caNotAfter: ca.cert.validToDate, certNotAfter: cert.validToDate, made };
}
