// A private certificate authority and a server certificate for 127.0.0.1/localhost, made with
// openssl for one test: the CA certificate is what a client is told to trust.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestTls {
  /** PEM of the CA certificate. */
  ca: string;
  caFile: string;
  /** PEM of the server certificate (signed by the CA) and its key. */
  cert: string;
  certFile: string;
  key: string;
  keyFile: string;
}

const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });

/** Writes a CA and a server certificate (SAN 127.0.0.1, localhost) into `dir`. */
export function makeTestTls(dir: string, name = "berth-test"): TestTls {
  const f = (n: string) => join(dir, n);
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name} test CA`, "-keyout", f("ca.key"), "-out", f("ca.crt"), "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=127.0.0.1`, "-keyout", f("server.key"), "-out", f("server.csr")]);
  writeFileSync(f("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
  openssl(["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", f("server.ext"), "-out", f("server.crt")]);
  return {
    ca: readFileSync(f("ca.crt"), "utf8"),
    caFile: f("ca.crt"),
    cert: readFileSync(f("server.crt"), "utf8"),
    certFile: f("server.crt"),
    key: readFileSync(f("server.key"), "utf8"),
    keyFile: f("server.key"),
  };
}
