// docker-compose.yml with HTTPS, published on an address of this machine that is not loopback
// (an interface the test makes), so Docker verifies the certificate: `BERTH_TLS=self-signed`
// (prepare makes it and prints its CA), docker, podman and skopeo refusing it until they trust
// the CA and then logging in, pushing and pulling; then the operator's own certificate with its
// chain, mounted into the proxy — refused with the reason while the proxy cannot read the key or
// the certificate has expired, served once it is right.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "node:https";
import { TestPki, type TestCert } from "@berth/tls/testing";
import { ADMIN_PASSWORD, ComposeProject, composeEngine } from "./support/compose.js";
import type { Dockerd } from "./support/docker.js";
import { cleanUpAll } from "./support/exec.js";
import { HttpsClients } from "./support/https-clients.js";
import { Skopeo } from "./support/skopeo.js";
import { TestAddress } from "./support/test-address.js";

/** GET over HTTPS trusting only `ca`: status, headers, body. */
function get(url: string, ca: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    })
      .on("error", reject)
      .end();
  });
}

describe("docker-compose.yml with HTTPS: self-signed, then the operator's certificate", { timeout: 30 * 60_000 }, () => {
  let address: TestAddress | undefined;
  let dockerd: Dockerd | undefined;
  let project: ComposeProject | undefined;
  let clients: HttpsClients | undefined;
  let pki: TestPki | undefined;
  let registry: string;
  let caPem: string;

  before(async () => {
    address = await TestAddress.create();
    dockerd = (await composeEngine((line) => console.log(`[images] ${line}`))).dockerd;
    project = await ComposeProject.create(dockerd, "tls", { BERTH_HTTP_HOST: address.address, BERTH_TLS: "self-signed" });
    registry = `${address.address}:${project.httpsPort}`;
    project.configure({ BERTH_EXTERNAL_URL: `https://${registry}` });
    await project.composeOk(["up", "-d"]);
    await project.waitHealthy();
  });

  after(() =>
    cleanUpAll(
      () => clients?.cleanup(),
      () => pki?.cleanup(),
      () => project?.destroy(),
      () => dockerd?.stop(),
      () => address?.remove(),
    ),
  );

  it("prepare prints the CA with how to trust it; the documented command fetches the same CA", async () => {
    const logs = await project!.composeOk(["logs", "--no-color", "prepare"]);
    assert.ok(logs.stdout.includes(`/etc/docker/certs.d/${registry}/ca.crt`), logs.stdout);
    assert.ok(logs.stdout.includes("docker compose exec -T proxy cat /data/secrets/tls/ca.crt > berth-ca.crt"), logs.stdout);
    const fetched = await project!.composeOk(["exec", "-T", "proxy", "cat", "/data/secrets/tls/ca.crt"]);
    caPem = fetched.stdout;
    assert.match(caPem, /^-----BEGIN CERTIFICATE-----\n/);
    const printed = logs.stdout.split("\n").map((l) => l.replace(/^[^|]*\| ?/, "")).join("\n");
    assert.ok(printed.includes(caPem.trim()), `the log holds the CA:\n${printed}`);
    clients = new HttpsClients({ registry, user: "admin", password: ADMIN_PASSWORD, dockerd: dockerd!, caPem, project: "library" });
  });

  it("the token realm is https; over plain HTTP the registry API is refused and the rest redirected (308)", async () => {
    const v2 = await get(`https://${registry}/v2/`, caPem);
    assert.equal(v2.status, 401);
    assert.equal(v2.headers["www-authenticate"], `Bearer realm="https://${registry}/service/token",service="berth-registry"`);
    const plain = `http://${address!.address}:${project!.httpPort}`;
    const refused = await fetch(`${plain}/v2/`, { redirect: "manual" });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /served over HTTPS only: use https:\/\//);
    const redirected = await fetch(`${plain}/api/v2.0/health`, { redirect: "manual" });
    assert.equal(redirected.status, 308);
    assert.equal(redirected.headers.get("location"), `https://${registry}/api/v2.0/health`);
  });

  it("docker, podman and skopeo refuse the certificate while they do not trust its CA", async () => {
    await clients!.assertRefused();
  });

  it("with the CA trusted, docker, podman and skopeo log in, push and pull through the proxy container", async () => {
    await clients!.assertWorkWhenTrusted("compose");
  });

  it("the operator's certificate, mounted into the proxy: refused with the reason until it is right, then served with its chain", async () => {
    pki = new TestPki();
    const root = await pki.issue("root", { ca: true });
    const intermediate = await pki.issue("intermediate", { ca: true, issuer: root });
    const server = await pki.issue("server", { issuer: intermediate, hosts: [address!.address] });
    const expired: TestCert = await pki.issue("expired", { issuer: intermediate, hosts: [address!.address], notBefore: new Date(Date.now() - 90 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const chain = pki.bundle("fullchain.pem", [server, intermediate]);
    /** The proxy's start with these files, as a one-off container: its exit code and what it said. */
    const proxyStart = async (cert: string, key: string) => {
      project!.configure({ BERTH_TLS: "", BERTH_TLS_CERT: cert, BERTH_TLS_KEY: key });
      const r = await project!.compose(["run", "--rm", "--no-deps", "-T", "proxy"], 120_000);
      return { code: r.code, said: `${r.stdout}\n${r.stderr}` };
    };

    // The key as openssl wrote it: 0600, root's. The proxy runs as uid 10000.
    const unreadable = await proxyStart(chain, server.keyFile);
    assert.equal(unreadable.code, 2, unreadable.said);
    assert.ok(unreadable.said.includes(`BERTH_TLS_KEY (${server.keyFile}): cannot be read by uid 10000 (permission denied)`), unreadable.said);
    chmodSync(server.keyFile, 0o644);
    chmodSync(expired.keyFile, 0o644);
    const old = await proxyStart(expired.certFile, expired.keyFile);
    assert.equal(old.code, 2, old.said);
    assert.match(old.said, new RegExp(`BERTH_TLS_CERT \\(${expired.certFile}\\): the certificate \\(.*CN=expired\\) expired on `));
    const mismatched = await proxyStart(chain, expired.keyFile);
    assert.equal(mismatched.code, 2, mismatched.said);
    assert.match(mismatched.said, /does not belong to the certificate in BERTH_TLS_CERT/);

    project!.configure({ BERTH_TLS: "", BERTH_TLS_CERT: chain, BERTH_TLS_KEY: server.keyFile });
    await project!.composeOk(["up", "-d", "--no-deps", "proxy"]);
    await project!.waitHealthy();
    // Trusting only the operator's root: nginx sends the intermediate.
    const health = await get(`https://${registry}/api/v2.0/health`, root.pem);
    assert.equal(health.status, 200, health.body);
    await assert.rejects(get(`https://${registry}/api/v2.0/health`, caPem), /unable to get local issuer|self.signed|unable to verify|unknown authority/i, "the generated CA no longer vouches for it");
    const trust = join(pki.dir, "trust");
    mkdirSync(trust);
    writeFileSync(join(trust, "root.crt"), root.pem);
    const skopeo = new Skopeo({ verify: true, certDir: trust });
    try {
      const inspect = await skopeo.inspect(`docker://${registry}/library/https-skopeo:compose`, `admin:${ADMIN_PASSWORD}`);
      assert.equal(inspect.code, 0, inspect.describe);
    } finally {
      skopeo.cleanup();
    }
  });
});
