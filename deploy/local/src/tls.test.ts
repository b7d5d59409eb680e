// The operator's certificate and key, checked by services/proxy/check-tls.sh (the proxy image runs
// it at every start, the launcher before it starts anything): the files operators get wrong, each
// refused with a message that names the variable, the file and what is wrong.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@berth/config";
import { TestPki, type TestCert } from "@berth/tls/testing";
import { loadLocalConfig } from "./config.js";
import { checkTlsFiles, checkTlsScript, frontDoorCertificate } from "./tls.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const script = checkTlsScript(repoRoot);
const DAY = 86_400_000;

let pki: TestPki;
let root: TestCert;
let intermediate: TestCert;
let server: TestCert;
let chain: string;

before(async () => {
  pki = new TestPki();
  root = await pki.issue("root", { ca: true });
  intermediate = await pki.issue("intermediate", { ca: true, issuer: root });
  server = await pki.issue("server", { issuer: intermediate, hosts: ["registry.example.com", "127.0.0.1"] });
  chain = pki.bundle("chain.pem", [server, intermediate]);
});

after(() => pki?.cleanup());

const check = (certFile: string, keyFile: string, host = "registry.example.com") => checkTlsFiles(script, { certFile, keyFile }, host);

test("a certificate with its chain and the key that belongs to it pass, without a word", () => {
  assert.deepEqual(check(chain, server.keyFile), { problems: [], warnings: [] });
  assert.deepEqual(check(server.certFile, server.keyFile, "127.0.0.1"), { problems: [], warnings: [] });
});

test("files that are not there, not files, empty or not PEM", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-tls-check-"));
  try {
    assert.deepEqual(check(join(dir, "none.pem"), dir).problems, [
      `BERTH_TLS_CERT (${join(dir, "none.pem")}): no such file`,
      `BERTH_TLS_KEY (${dir}): is a directory, not a file`,
    ]);
    const empty = pki.write("empty.pem", "");
    const garbage = pki.write("garbage.pem", "not a certificate\n");
    assert.deepEqual(check(empty, garbage).problems, [
      `BERTH_TLS_CERT (${empty}): is empty`,
      `BERTH_TLS_KEY (${garbage}): holds no PEM private key (a block starting with -----BEGIN PRIVATE KEY-----, or RSA/EC PRIVATE KEY)`,
    ]);
    const broken = pki.write("broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assert.deepEqual(check(garbage, server.keyFile).problems, [`BERTH_TLS_CERT (${garbage}): holds no PEM certificate (a block starting with -----BEGIN CERTIFICATE-----)`]);
    assert.deepEqual(check(broken, server.keyFile).problems, [`BERTH_TLS_CERT (${broken}): the certificate is not a readable X.509 certificate`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a key that does not belong to the certificate, or a chain in the wrong order", async () => {
  const other = await pki.issue("other", { issuer: intermediate });
  assert.deepEqual(check(chain, other.keyFile).problems, [
    `BERTH_TLS_KEY (${other.keyFile}): does not belong to the certificate in BERTH_TLS_CERT (${chain}) (the first certificate in that file must be the server's own, then its chain)`,
  ]);
  const reversed = pki.bundle("reversed.pem", [intermediate, server]);
  assert.match(check(reversed, server.keyFile).problems.join("\n"), /does not belong to the certificate in BERTH_TLS_CERT .*must be the server's own, then its chain/);
});

test("an encrypted key: nginx cannot ask for its passphrase", async () => {
  const encrypted = await pki.encrypted(server);
  assert.deepEqual(check(chain, encrypted).problems, [
    `BERTH_TLS_KEY (${encrypted}): is encrypted, and nginx cannot ask for its passphrase: store it decrypted (openssl pkey -in KEY -out KEY.plain), readable only by the server`,
  ]);
});

test("expired, not yet valid, an expired certificate in the chain; ending within 30 days is a warning", async () => {
  const now = Date.now();
  const expired = await pki.issue("expired", { issuer: intermediate, notBefore: new Date(now - 400 * DAY), notAfter: new Date(now - DAY) });
  assert.match(check(expired.certFile, expired.keyFile).problems.join("\n"), /^BERTH_TLS_CERT \(.*expired\.crt\): the certificate \(O=Berth tests,CN=expired\) expired on \w{3} +\d+ [\d:]{8} \d{4} GMT$/);
  const early = await pki.issue("early", { issuer: intermediate, notBefore: new Date(now + 2 * DAY) });
  assert.match(check(early.certFile, early.keyFile).problems.join("\n"), /the certificate \(O=Berth tests,CN=early\) is not valid before .* \(is this machine's clock right\?\)$/);
  const oldIntermediate = await pki.issue("old-intermediate", { ca: true, issuer: root, notBefore: new Date(now - 400 * DAY), notAfter: new Date(now - DAY) });
  const leaf = await pki.issue("leaf", { issuer: oldIntermediate });
  const withOld = pki.bundle("with-old.pem", [leaf, oldIntermediate]);
  assert.match(check(withOld, leaf.keyFile).problems.join("\n"), /^BERTH_TLS_CERT \(.*\): certificate 2 in the file \(its chain\) \(O=Berth tests,CN=old-intermediate\) expired on /);
  const soon = await pki.issue("soon", { issuer: intermediate, hosts: ["registry.example.com"], notAfter: new Date(now + 10 * DAY) });
  const r = check(soon.certFile, soon.keyFile);
  assert.deepEqual(r.problems, []);
  assert.match(r.warnings.join("\n"), /^BERTH_TLS_CERT \(.*soon\.crt\): the certificate \(O=Berth tests,CN=soon\) expires on .*, in less than 30 days$/);
});

test("a certificate that does not name the external URL's host is a warning", () => {
  assert.deepEqual(check(chain, server.keyFile, "other.example.com").warnings, [
    `BERTH_TLS_CERT (${chain}): the certificate does not name other.example.com, the external URL's host: clients that connect by that name refuse it`,
  ]);
  assert.equal(check(chain, server.keyFile, "10.9.9.9").warnings.length, 1);
  assert.equal(check(chain, server.keyFile, "127.0.0.1").warnings.length, 0);
});

test("a key another user cannot read", { skip: process.getuid?.() !== 0 && "needs root to run the check as another user" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-tls-perm-"));
  try {
    chmodSync(dir, 0o755);
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    copyFileSync(server.keyFile, key);
    copyFileSync(chain, cert);
    chmodSync(key, 0o600);
    chmodSync(cert, 0o644);
    const scriptCopy = join(dir, "check-tls.sh");
    copyFileSync(script, scriptCopy);
    chmodSync(scriptCopy, 0o755);
    const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "sh", scriptCopy, cert, key, "CERT", "KEY"], { encoding: "utf8", env: { PATH: process.env["PATH"], TMPDIR: "/tmp" } });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, "KEY: cannot be read by uid 65534 (permission denied): make it readable by that user\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the launcher: a file problem is a ConfigError naming every problem, before anything starts", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "berth-tls-launcher-"));
  try {
    const expired = await pki.issue("expired2", { issuer: intermediate, notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
    const config = loadLocalConfig({ BERTH_TLS_CERT: expired.certFile, BERTH_TLS_KEY: server.keyFile }, "/");
    await assert.rejects(
      frontDoorCertificate({ tls: config.tls!, dataDir, externalUrl: "https://127.0.0.1:8443", repoRoot }),
      (err: unknown) => err instanceof ConfigError && err.problems.length === 2 && /expired on/.test(err.problems[0]!) && /does not belong/.test(err.problems[1]!),
    );
    const good = await frontDoorCertificate({ tls: loadLocalConfig({ BERTH_TLS_CERT: chain, BERTH_TLS_KEY: server.keyFile }, "/").tls!, dataDir, externalUrl: "https://127.0.0.1:8443", repoRoot });
    assert.deepEqual(good, { certFile: chain, keyFile: server.keyFile, notes: [] });
    const made = await frontDoorCertificate({ tls: loadLocalConfig({ BERTH_TLS: "self-signed" }, "/").tls!, dataDir, externalUrl: "https://10.1.2.3:8443", repoRoot });
    assert.equal(made.certFile, join(dataDir, "secrets", "tls", "server.crt"));
    assert.match(made.notes.join("\n"), /^made a CA in .*\nmade a server certificate for 10\.1\.2\.3, 127\.0\.0\.1, ::1, localhost \(there was none\) in /);
    // The generated files pass the same check as an operator's.
    assert.deepEqual(check(made.certFile, made.keyFile, "10.1.2.3"), { problems: [], warnings: [] });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("launcher settings: HTTPS from files (relative to the working directory) or self-signed; wrong combinations named", () => {
  assert.equal(loadLocalConfig({}, "/repo").tls, undefined);
  assert.deepEqual(loadLocalConfig({ BERTH_TLS_CERT: "tls/c.pem", BERTH_TLS_KEY: "/k.pem", BERTH_HTTPS_PORT: "9443", BERTH_TLS_HSTS_MAX_AGE: "600" }, "/repo").tls, {
    source: { kind: "files", certFile: "/repo/tls/c.pem", keyFile: "/k.pem" },
    port: 9443,
    hstsMaxAge: 600,
  });
  assert.deepEqual(loadLocalConfig({ BERTH_TLS: "self-signed" }, "/repo").tls, { source: { kind: "self-signed" }, port: 8443, hstsMaxAge: 0 });
  assert.throws(
    () => loadLocalConfig({ BERTH_TLS: "self-signed", BERTH_HTTP_PORT: "8443", BERTH_LOG_LEVEL: "loud" }, "/repo"),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems.length === 2 &&
      /^BERTH_LOG_LEVEL: /.test(err.problems[0]!) &&
      err.problems[1] === "BERTH_HTTPS_PORT: the same port as BERTH_HTTP_PORT (8443); HTTPS needs a port of its own",
  );
  assert.throws(() => loadLocalConfig({ BERTH_TLS_KEY: "/k.pem" }, "/repo"), /BERTH_TLS_CERT: required with BERTH_TLS_KEY/);
});
