/**
 * Certificates for tests (`@berth/tls/testing`): a root CA, intermediates, server certificates
 * with any validity window (expired, not yet valid), made with the `openssl` CLI in a temporary
 * folder — the kinds of files operators hand to BERTH_TLS_CERT and BERTH_TLS_KEY.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openssl, subjectAltName } from "./openssl.js";

export interface TestCert {
  name: string;
  certFile: string;
  keyFile: string;
  /** The certificate alone, PEM. */
  pem: string;
}

export interface IssueOptions {
  /** Signed by this one; absent: self-signed (a root). */
  issuer?: TestCert;
  /** A CA (root or intermediate) rather than a server certificate. */
  ca?: boolean;
  /** Server certificates: the names and addresses it carries. */
  hosts?: readonly string[];
  /** Default: a day ago. */
  notBefore?: Date;
  /** Default: in a year. */
  notAfter?: Date;
}

const asn1Time = (d: Date) => `${d.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`;

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), "berth-test-pki-"));

  /** Issues a certificate named `name` (its CN and its files' names) with a new P-256 key. */
  async issue(name: string, options: IssueOptions = {}): Promise<TestCert> {
    const work = join(this.dir, `${name}.ca`);
    mkdirSync(work, { recursive: true });
    const file = (suffix: string) => join(this.dir, `${name}.${suffix}`);
    writeFileSync(join(work, "index.txt"), "");
    writeFileSync(join(work, "serial"), `${randomBytes(8).toString("hex").replace(/^[89a-f]/, "1")}\n`);
    const config = [
      "[ca]", "default_ca = c",
      "[c]", `database = ${work}/index.txt`, `new_certs_dir = ${work}`, `serial = ${work}/serial`,
      "default_md = sha256", "policy = p", "unique_subject = no", "email_in_dn = no",
      "[p]", "commonName = supplied", "organizationName = optional",
      "[ext]",
      ...(options.ca
        ? ["basicConstraints = critical, CA:TRUE", "keyUsage = critical, keyCertSign, cRLSign"]
        : ["basicConstraints = critical, CA:FALSE", "keyUsage = critical, digitalSignature", "extendedKeyUsage = serverAuth", subjectAltName(options.hosts ?? ["127.0.0.1", "localhost"])]),
      "subjectKeyIdentifier = hash",
      ...(options.issuer ? ["authorityKeyIdentifier = keyid"] : []),
      "",
    ].join("\n");
    writeFileSync(join(work, "openssl.cnf"), config);
    await openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/O=Berth tests/CN=${name}`, "-keyout", file("key"), "-out", join(work, "csr")]);
    const now = Date.now();
    await openssl([
      "ca", "-batch", "-notext", "-config", join(work, "openssl.cnf"), "-extensions", "ext", "-in", join(work, "csr"), "-out", file("crt"),
      "-startdate", asn1Time(options.notBefore ?? new Date(now - 86_400_000)),
      "-enddate", asn1Time(options.notAfter ?? new Date(now + 365 * 86_400_000)),
      ...(options.issuer ? ["-cert", options.issuer.certFile, "-keyfile", options.issuer.keyFile] : ["-selfsign", "-keyfile", file("key")]),
    ]);
    return { name, certFile: file("crt"), keyFile: file("key"), pem: readFileSync(file("crt"), "utf8") };
  }

  /** A file holding `certs` one after another (a certificate with its chain), named `name`. */
  bundle(name: string, certs: readonly TestCert[]): string {
    const path = join(this.dir, name);
    writeFileSync(path, certs.map((c) => c.pem).join(""));
    return path;
  }

  /** `key` encrypted with a passphrase (what nginx cannot load without asking for it). */
  async encrypted(key: TestCert): Promise<string> {
    const path = join(this.dir, `${key.name}.encrypted.key`);
    await openssl(["pkey", "-in", key.keyFile, "-aes256", "-passout", "pass:berth-test", "-out", path]);
    return path;
  }

  /** A file with `text` in it. */
  write(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
