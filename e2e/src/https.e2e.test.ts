// `npm start` with HTTPS, as operators run it: `BERTH_TLS=self-signed` on an address of this
// machine that is not loopback (an interface the test makes), so Docker verifies the certificate.
// The terminal names the CA and how to trust it; docker, podman and skopeo refuse the certificate
// until they trust that CA, then log in, push and pull; the token realm is https; a registry
// client speaking plain HTTP is refused with the HTTPS address, anything else redirected there. A certificate that cannot be served stops the launcher, exit 2,
// before anything starts.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pickFreeTcpPort } from "@berth/local-stack";
import { TestPki } from "@berth/tls/testing";
import { Dockerd } from "./support/docker.js";
import { cleanUpAll } from "./support/exec.js";
import { HttpsClients } from "./support/https-clients.js";
import { ociImageLayout } from "./support/images.js";
import { Launcher } from "./support/launcher.js";
import { Skopeo } from "./support/skopeo.js";
import { TestAddress } from "./support/test-address.js";

const PASSWORD = "Https-Admin-Passw0rd";

/** GET over HTTPS trusting `ca`: status and headers. */
function get(url: string, ca: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    request(url, { ca, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    })
      .on("error", reject)
      .end();
  });
}

describe("npm start with HTTPS: a self-signed certificate, docker, podman and skopeo", { timeout: 600_000 }, () => {
  let address: TestAddress | undefined;
  let dockerd: Dockerd | undefined;
  let launcher: Launcher | undefined;
  let clients: HttpsClients | undefined;
  const root = mkdtempSync(join(tmpdir(), "berth-e2e-https-"));
  let httpPort: number;
  let httpsPort: number;
  let registry: string;
  let caPem: string;

  before(async () => {
    address = await TestAddress.create();
    dockerd = new Dockerd();
    const dockerReady = dockerd.start();
    dockerReady.catch(() => undefined);
    httpPort = await pickFreeTcpPort();
    httpsPort = await pickFreeTcpPort();
    registry = `${address.address}:${httpsPort}`;
    launcher = Launcher.start(join(root, "data"), httpPort, {
      BERTH_HTTP_HOST: address.address,
      BERTH_HTTPS_PORT: String(httpsPort),
      BERTH_TLS: "self-signed",
      BERTH_ADMIN_PASSWORD: PASSWORD,
      BERTH_LOG_LEVEL: "warn",
    });
    await launcher.ready();
    await dockerReady;
    caPem = readFileSync(join(root, "data", "secrets", "tls", "ca.crt"), "utf8");
    clients = new HttpsClients({ registry, user: "admin", password: PASSWORD, dockerd, caPem, project: "library" });
  });

  after(() =>
    cleanUpAll(
      () => clients?.cleanup(),
      () => launcher && launcher.process.exitCode === null && launcher.terminate("SIGTERM"),
      () => dockerd?.stop(),
      () => address?.remove(),
      () => rmSync(root, { recursive: true, force: true }),
    ),
  );

  it("the terminal says where HTTPS is and how clients trust the CA; the token realm is https", async () => {
    const out = launcher!.output.join("\n");
    assert.match(out, new RegExp(`Berth is running at https://${registry.replace(/\./g, "\\.")} \\(plain HTTP on port ${httpPort} redirects there\\)`));
    const caFile = join(root, "data", "secrets", "tls", "ca.crt");
    assert.ok(out.includes(`sudo cp ${caFile} /etc/docker/certs.d/${registry}/ca.crt`), out);
    assert.ok(out.includes(`/etc/containers/certs.d/${registry}/ca.crt`), out);
    assert.ok(existsSync(caFile));
    const v2 = await get(`https://${registry}/v2/`, caPem);
    assert.equal(v2.status, 401);
    assert.equal(v2.headers["www-authenticate"], `Bearer realm="https://${registry}/service/token",service="berth-registry"`);
  });

  it("docker, podman and skopeo refuse the certificate while they do not trust its CA", async () => {
    await clients!.assertRefused();
  });

  it("with the CA trusted, docker, podman and skopeo log in, push and pull over HTTPS", async () => {
    await clients!.assertWorkWhenTrusted("npm");
  });

  it("plain HTTP: registry clients are refused with the HTTPS address; everything else is redirected there (308)", async () => {
    // skopeo with TLS verification off tries HTTPS on the HTTP port, then plain HTTP.
    const plain = new Skopeo({ verify: false });
    try {
      const layout = join(root, "plain");
      ociImageLayout(layout, "latest");
      const push = await plain.copy(`oci:${layout}:latest`, `docker://${address!.address}:${httpPort}/library/plain-http:1`, { destCreds: `admin:${PASSWORD}` });
      assert.notEqual(push.code, 0, push.describe);
      // Clients report the status of their first request (the ping); the body says why.
      assert.match(push.stderr, /pinging container registry .*403 \(Forbidden\)/, push.describe);
    } finally {
      plain.cleanup();
    }
    const ping = await fetch(`http://${address!.address}:${httpPort}/v2/`, { redirect: "manual" });
    assert.equal(ping.status, 403);
    assert.match(await ping.text(), new RegExp(`"code":"DENIED","message":"this registry is served over HTTPS only: use https://${registry.replace(/\./g, "\\.")} `));
    const health = await fetch(`http://${address!.address}:${httpPort}/api/v2.0/health`, { redirect: "manual" });
    assert.equal(health.status, 308);
    assert.equal(health.headers.get("location"), `https://${registry}/api/v2.0/health`);
  });

  it("a certificate that cannot be served stops npm start before anything starts: exit 2, every reason", async () => {
    const pki = new TestPki();
    try {
      const ca = await pki.issue("ca", { ca: true });
      const expired = await pki.issue("expired", { issuer: ca, hosts: [address!.address], notBefore: new Date(Date.now() - 90 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
      const other = await pki.issue("other", { issuer: ca });
      const dataDir = join(root, "refused");
      const refused = Launcher.start(dataDir, await pickFreeTcpPort(), { BERTH_TLS_CERT: expired.certFile, BERTH_TLS_KEY: other.keyFile, BERTH_HTTPS_PORT: String(await pickFreeTcpPort()) });
      const exit = await refused.exited;
      const out = refused.tail(20);
      assert.equal(exit.code, 2, out);
      assert.match(out, /^berth: invalid configuration:$/m);
      assert.match(out, new RegExp(`^  - BERTH_TLS_CERT \\(${expired.certFile}\\): the certificate \\(.*CN=expired\\) expired on `, "m"));
      assert.match(out, new RegExp(`^  - BERTH_TLS_KEY \\(${other.keyFile}\\): does not belong to the certificate in BERTH_TLS_CERT`, "m"));
      assert.doesNotMatch(out, /starting the log-collector|PostgreSQL/, "nothing was started");
    } finally {
      pki.cleanup();
    }
  });
});
