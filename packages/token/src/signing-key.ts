import { execFile } from "node:child_process";
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { libtrustKeyId } from "./libtrust-kid.js";

const run = promisify(execFile);

/** The JWS algorithm of a key: ES256 for an EC P-256 key (what core creates), RS256 for an RSA key. */
export type TokenAlgorithm = "ES256" | "RS256";

/** The token service's key and its self-signed certificate (which the registry trusts). */
export interface SigningKey {
  privateKey: KeyObject;
  algorithm: TokenAlgorithm;
  /** The certificate in DER, for the JWT header's `x5c`. */
  certificateDer: Buffer;
  certificatePem: string;
  /** libtrust key ID of the certificate's public key, for the JWT header's `kid`. */
  keyId: string;
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

export async function loadSigningKey(keyFile: string, certFile: string): Promise<SigningKey> {
  const privateKey = createPrivateKey(await readFile(keyFile));
  const certificatePem = await readFile(certFile, "utf8");
  const certificate = new X509Certificate(certificatePem);
  if (!certificate.checkPrivateKey(privateKey)) throw new Error(`${certFile} does not belong to the key in ${keyFile}`);
  const algorithm = tokenAlgorithmOf(privateKey);
  if (algorithm === undefined) throw new Error(`${keyFile} must hold an EC P-256 key (ES256 tokens) or an RSA key (RS256)`);
  const spki = certificate.publicKey.export({ type: "spki", format: "der" });
  return { privateKey, algorithm, certificateDer: Buffer.from(certificate.raw), certificatePem, keyId: libtrustKeyId(spki) };
}

/**
 * The algorithm a token key signs with: ES256 for EC P-256, RS256 for RSA (2048 bits or more);
 * `undefined` for any other key. The registry accepts only this one algorithm for the key it
 * trusts, so no token can choose its own (`alg: none`, HS256 with the public key).
 */
export function tokenAlgorithmOf(key: KeyObject): TokenAlgorithm | undefined {
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ES256";
  if (key.asymmetricKeyType === "rsa" && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return "RS256";
  return undefined;
}

/**
 * Loads the key and certificate, creating both with the `openssl` CLI when neither exists
 * (EC P-256, self-signed, CN=berth-token-issuer, 10 years; the key file mode 0600). An ES256
 * signature costs ~0.03 ms of CPU where RSA-4096's cost ~3–5 ms — one per `docker login` and per
 * repository pushed or pulled (docs/performance.md). An existing RSA key keeps working (RS256).
 * One file without the other is an error rather than silently replaced: the registry may trust
 * the old certificate.
 */
export async function ensureSigningKey(options: { keyFile: string; certFile: string; onCreate?: (msg: string) => void }): Promise<SigningKey> {
  const { keyFile, certFile } = options;
  const [haveKey, haveCert] = await Promise.all([exists(keyFile), exists(certFile)]);
  if (haveKey !== haveCert) throw new Error(`token signing: ${haveKey ? certFile : keyFile} is missing while ${haveKey ? keyFile : certFile} exists`);
  if (!haveKey) {
    await mkdir(path.dirname(keyFile), { recursive: true, mode: 0o700 });
    await mkdir(path.dirname(certFile), { recursive: true });
    const tmpKey = `${keyFile}.${process.pid}.tmp`;
    const tmpCert = `${certFile}.${process.pid}.tmp`;
    try {
      await run("openssl", [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650",
        "-subj", "/CN=berth-token-issuer", "-keyout", tmpKey, "-out", tmpCert,
      ]);
      await chmod(tmpKey, 0o600);
      await rename(tmpCert, certFile);
      await rename(tmpKey, keyFile);
    } finally {
      await rm(tmpKey, { force: true });
      await rm(tmpCert, { force: true });
    }
    options.onCreate?.(`created the token signing key ${keyFile} and certificate ${certFile}`);
  }
  return loadSigningKey(keyFile, certFile);
}
