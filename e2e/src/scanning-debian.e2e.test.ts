// Scanning a real Debian image end to end: the bookworm slim root filesystem (debootstrap minbase, made once by debian-rootfs.ts), imported
// and pushed with `docker push` through the front door into a project with auto_scan, SBOM
// generation and prevent_vul. The scan happens without a request; the packages match `dpkg-query -W`
// in that root filesystem; the advisories — OSV records WRITTEN FOR THIS TEST (ids SYNTHETIC-…),
// because Debian's current packages carry their published fixes — are reported with the right
// versions, fixed versions, severities and layer; the SBOM validates against SPDX 2.3's schema and
// lists the same packages; `docker pull` and `podman pull` are refused naming exactly the CVE ids at
// or above the threshold, and succeed once they are allowlisted; the webhook arrives.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreApi } from "./support/api.js";
import { installedDebianPackages, type DebianPackage } from "./support/debian-packages.js";
import { debianRootfs } from "./support/debian-rootfs.js";
import { Dockerd } from "./support/docker.js";
import { run } from "./support/exec.js";
import { basicAuth, eventually } from "./support/http.js";
import { ContainersHome, Podman } from "./support/podman.js";
import { createEndpoint, createReplicationPolicy, finished, logs, startExecution } from "./support/replication-fixtures.js";
import { adapterApiKey, CVSS_CRITICAL, CVSS_HIGH, cyclonedxValidator, osvRecord, spdxValidator, WebhookReceiver, jwtClaims, type SyntheticAdvisory } from "./support/scanning.js";
import { startTestStack, type TestStack } from "./support/stack.js";

const VULN = "application/vnd.security.vulnerability.report; version=1.1";
const SBOM = "application/vnd.security.sbom.report+json; version=1.0";
const SBOM_TYPE = "application/vnd.goharbor.harbor.sbom.v1";

interface Finding {
  id: string;
  package: string;
  version: string;
  fix_version: string;
  severity: string;
  links: string[];
  layer: { digest: string; diff_id: string };
  cwe_ids: string[];
}

describe("scanning a Debian image pushed with docker", () => {
  let stack: TestStack;
  let api: CoreApi;
  let dockerd: Dockerd;
  let containers: ContainersHome;
  let podman: Podman;
  let hooks: WebhookReceiver;
  let work: string;
  let installed: DebianPackage[];
  let advisories: (SyntheticAdvisory & { expect: "reported" | "not-reported" })[];
  let image: string;
  let digest: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "berth-e2e-scan-"));
    const tarball = await debianRootfs();
    installed = await installedDebianPackages(tarball);
    const bySource = (name: string) => installed.find((p) => p.source === name);
    const pick = (...names: string[]) => names.map(bySource).find((p) => p !== undefined)!;
    const critical = pick("zlib", "gzip");
    const high = pick("tar", "sed");
    const low = pick("grep", "diffutils");
    const fixedEarlier = pick("bash", "dash");
    assert.ok(critical && high && low && fixedEarlier, "minbase holds the packages the fixtures name");
    advisories = [
      { id: "SYNTHETIC-BERTH-DEB-0001", ecosystem: "Debian:12", name: critical.source, fixed: `${critical.sourceVersion}+berth1`, cvss: CVSS_CRITICAL, expect: "reported" },
      { id: "SYNTHETIC-BERTH-DEB-0002", ecosystem: "Debian:12", name: high.source, fixed: `${high.sourceVersion}+berth1`, cvss: CVSS_HIGH, expect: "reported" },
      { id: "SYNTHETIC-BERTH-DEB-0003", ecosystem: "Debian:12", name: low.source, rating: "low", expect: "reported" },
      // Fixed before the installed version, and the same package in another release: neither applies.
      { id: "SYNTHETIC-BERTH-DEB-0004", ecosystem: "Debian:12", name: fixedEarlier.source, fixed: "0.1-1", cvss: CVSS_CRITICAL, expect: "not-reported" },
      { id: "SYNTHETIC-BERTH-DEB-0005", ecosystem: "Debian:11", name: critical.source, fixed: `${critical.sourceVersion}+berth1`, cvss: CVSS_CRITICAL, expect: "not-reported" },
    ];
    const db = join(work, "osv");
    rmSync(db, { recursive: true, force: true });
    await run("mkdir", ["-p", db]);
    for (const a of advisories) writeFileSync(join(db, `${a.id}.json`), JSON.stringify(osvRecord(a)));
    hooks = new WebhookReceiver();
    const hookUrl = await hooks.start();
    stack = await startTestStack("scan-debian", { env: { BERTH_SCANNER_DB_DIR: db } });
    api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    await api.ok("POST", "/projects", {
      project_name: "secure",
      metadata: { public: "false", auto_scan: "true", auto_sbom_generation: "true", prevent_vul: "true", severity: "high" },
    });
    await api.ok("POST", "/projects/secure/webhook/policies", {
      name: "scans",
      targets: [{ type: "http", address: hookUrl }],
      event_types: ["SCANNING_COMPLETED", "SCANNING_FAILED", "SCANNING_STOPPED"],
    });
    dockerd = new Dockerd();
    await dockerd.start();
    image = `${stack.registry}/secure/debian:12`;
    const imported = await dockerd.import(tarball, image);
    assert.equal(imported.code, 0, imported.describe);
    containers = new ContainersHome();
    podman = new Podman(containers);
  });

  after(async () => {
    await dockerd?.stop();
    await containers?.cleanup();
    await hooks?.stop();
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("docker push into an auto_scan project is scanned without a request", async () => {
    assert.equal((await dockerd.login(stack.registry, "admin", stack.adminPassword)).code, 0);
    const pushed = await dockerd.docker(["push", image]);
    assert.equal(pushed.code, 0, pushed.describe);
    const artifact = await eventually(
      async () => {
        const res = await api.ok("GET", "/projects/secure/repositories/debian/artifacts/12?with_scan_overview=true");
        const a = res.body as { digest: string; scan_overview?: Record<string, { scan_status: string }> };
        const statuses = [VULN, SBOM].map((m) => a.scan_overview?.[m]?.scan_status);
        assert.ok(!statuses.includes("Error"), `a scan failed: ${JSON.stringify(a.scan_overview)}`);
        return statuses.every((s) => s === "Success") ? a : undefined;
      },
      180_000,
      () => `no finished scan on push\n${stack.tail()}`,
    );
    digest = artifact.digest;
    const overview = (artifact as unknown as { scan_overview: Record<string, { severity: string; summary: { total: number; fixable: number; summary: Record<string, number> } }> }).scan_overview[VULN]!;
    assert.equal(overview.severity, "Critical");
    assert.deepEqual(overview.summary.summary, countBySeverity(expectedFindings()), "the overview counts the findings by severity");
    assert.equal(overview.summary.total, expectedFindings().length);
    assert.equal(overview.summary.fixable, expectedFindings().filter((f) => f.fix_version !== "").length);
    for (const field of ["report_id", "scan_status", "severity", "duration", "summary", "start_time", "end_time"]) assert.ok(field in overview, `scan_overview has ${field}: ${JSON.stringify(overview)}`);
    // The artifact list shows the same overview (Harbor's `with_scan_overview=true` on lists).
    const list = (await api.ok("GET", "/projects/secure/repositories/debian/artifacts?with_scan_overview=true")).body as { digest: string; scan_overview: Record<string, unknown> | null }[];
    assert.ok(list.find((a) => a.digest === digest)?.scan_overview?.[VULN], "the list carries scan_overview keyed by report MIME type");
  });

  /** The findings the fixtures must produce: one per installed binary package of an affected source. */
  function expectedFindings() {
    return advisories
      .filter((a) => a.expect === "reported")
      .flatMap((a) =>
        installed
          .filter((p) => p.source === a.name)
          .map((p) => ({ id: a.id, package: p.name, version: p.version, fix_version: a.fixed ?? "", severity: a.cvss === CVSS_CRITICAL ? "Critical" : a.cvss === CVSS_HIGH ? "High" : "Low" })),
      );
  }

  function countBySeverity(findings: { severity: string }[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const f of findings) out[f.severity] = (out[f.severity] ?? 0) + 1;
    return out;
  }

  it("reports the fixture advisories with their versions, fixed versions, severities and layer", async () => {
    const additions = (await api.ok("GET", `/projects/secure/repositories/debian/artifacts/${digest}/additions/vulnerabilities`)).body as Record<string, { vulnerabilities: Finding[] }>;
    const report = additions[VULN];
    assert.ok(report, `a ${VULN} report: ${Object.keys(additions).join(", ")}`);
    const got = report.vulnerabilities.map((v) => ({ id: v.id, package: v.package, version: v.version, fix_version: v.fix_version, severity: v.severity }));
    const key = (f: { id: string; package: string }) => `${f.id} ${f.package}`;
    assert.deepEqual(got.sort((a, b) => key(a).localeCompare(key(b))), expectedFindings().sort((a, b) => key(a).localeCompare(key(b))));
    // The layer: docker import made one; its digest from the manifest (read from the database: the
    // policy refuses GETs of this image), its diff_id from the config.
    const token = await api.token([`repository:secure/debian:pull`]);
    const manifest = JSON.parse(stack.psql(`SELECT convert_from(payload, 'UTF8') FROM manifests WHERE digest = '${digest}'`)) as { config: { digest: string }; layers: { digest: string }[] };
    const config = (await (await fetch(`${stack.baseUrl}/v2/secure/debian/blobs/${manifest.config.digest}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { rootfs: { diff_ids: string[] } };
    for (const v of report.vulnerabilities) {
      assert.deepEqual(v.layer, { digest: manifest.layers[0]!.digest, diff_id: config.rootfs.diff_ids[0]! }, `${v.id} in ${v.package}: layer`);
      assert.ok(v.links.includes(`https://example.invalid/synthetic/${v.id}`), "links from the advisory's references");
      assert.deepEqual(v.cwe_ids, ["CWE-000"]);
    }
  });

  it("stores the SBOM as a referrer of the image: valid SPDX 2.3 listing exactly what dpkg-query lists", async () => {
    const token = await api.token([`repository:secure/debian:pull`]);
    const auth = { authorization: `Bearer ${token}` };
    const referrers = (await (await fetch(`${stack.baseUrl}/v2/secure/debian/referrers/${digest}`, { headers: auth })).json()) as { manifests: { digest: string; artifactType: string }[] };
    const sboms = referrers.manifests.filter((m) => m.artifactType === SBOM_TYPE);
    assert.equal(sboms.length, 1, `one SBOM referrer: ${JSON.stringify(referrers)}`);
    const sbomManifest = (await (await fetch(`${stack.baseUrl}/v2/secure/debian/manifests/${sboms[0]!.digest}`, { headers: { ...auth, accept: "application/vnd.oci.image.manifest.v1+json" } })).json()) as {
      subject: { digest: string };
      layers: { digest: string; mediaType: string }[];
    };
    assert.equal(sbomManifest.subject.digest, digest);
    assert.equal(sbomManifest.layers[0]!.mediaType, "application/spdx+json");
    const doc = (await (await fetch(`${stack.baseUrl}/v2/secure/debian/blobs/${sbomManifest.layers[0]!.digest}`, { headers: auth })).json()) as {
      packages: { name: string; versionInfo: string; externalRefs?: { referenceLocator: string }[] }[];
    };
    assert.deepEqual(spdxValidator()(doc), [], "valid against SPDX 2.3's JSON schema");
    const debs = doc.packages.filter((p) => p.externalRefs?.some((r) => r.referenceLocator.startsWith("pkg:deb/")));
    const listed = debs.map((p) => `${p.name}=${p.versionInfo}`).sort();
    assert.deepEqual(listed, installed.map((p) => `${p.name}=${p.version}`).sort(), "the SBOM lists what dpkg-query -W lists");
  });

  it("the adapter's CycloneDX SBOM of the same image validates against CycloneDX 1.5 and lists the same packages", async () => {
    // Through the adapter's own API, as Harbor calls it (Basic credentials, exchanged for a token),
    // from a project without prevent_vul (the adapter's own pulls are those of whoever asks).
    await api.ok("POST", "/projects", { project_name: "plain", metadata: { public: "false" } });
    const copy = `${stack.registry}/plain/debian:12`;
    assert.equal((await dockerd.docker(["tag", image, copy])).code, 0);
    const pushed = await dockerd.docker(["push", copy]);
    assert.equal(pushed.code, 0, pushed.describe);
    const adapter = `http://127.0.0.1:${stack.running.ports["scanner-adapter"]}`;
    const headers = { authorization: `Bearer ${adapterApiKey(stack.dataDir)}` };
    const accepted = await fetch(`${adapter}/api/v1/scan`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/vnd.scanner.adapter.scan.request+json; version=1.1" },
      body: JSON.stringify({ registry: { url: stack.baseUrl, authorization: basicAuth("admin", stack.adminPassword)["authorization"] }, artifact: { repository: "plain/debian", digest } }),
    });
    assert.equal(accepted.status, 202);
    const { id } = (await accepted.json()) as { id: string };
    const bom = await eventually(
      async () => {
        const res = await fetch(`${adapter}/api/v1/scan/${id}/report?sbom_media_type=application%2Fvnd.cyclonedx%2Bjson`, { headers: { ...headers, accept: SBOM }, redirect: "manual" });
        if (res.status === 302) return undefined;
        assert.equal(res.status, 200, await res.clone().text());
        return ((await res.json()) as { sbom: { components: { name: string; version: string; purl: string }[] } }).sbom;
      },
      120_000,
      () => "no CycloneDX report",
    );
    assert.deepEqual(cyclonedxValidator()(bom), [], "valid against CycloneDX 1.5's JSON schema");
    const debs = bom.components.filter((c) => c.purl.startsWith("pkg:deb/debian/")).map((c) => `${c.name}=${c.version}`).sort();
    assert.deepEqual(debs, installed.map((p) => `${p.name}=${p.version}`).sort(), "the CycloneDX BOM lists what dpkg-query -W lists");
  });

  it("docker pull and podman pull are refused naming the CVE ids at or above the threshold; HEAD stays allowed", async () => {
    const blocking = ["SYNTHETIC-BERTH-DEB-0001", "SYNTHETIC-BERTH-DEB-0002"];
    assert.equal((await dockerd.docker(["rmi", image])).code, 0);
    const docker = await dockerd.docker(["pull", image]);
    assert.notEqual(docker.code, 0, "docker pull refused");
    for (const id of blocking) assert.ok(docker.stderr.includes(id), `docker names ${id}: ${docker.stderr}`);
    assert.ok(!docker.stderr.includes("SYNTHETIC-BERTH-DEB-0003"), "a Low finding under a High threshold does not block");
    assert.equal((await podman.login(stack.registry, "admin", stack.adminPassword)).code, 0);
    const pulled = await podman.pull(image);
    assert.notEqual(pulled.code, 0, "podman pull refused");
    for (const id of blocking) assert.ok(pulled.stderr.includes(id), `podman names ${id}: ${pulled.stderr}`);
    const token = await api.token([`repository:secure/debian:pull`]);
    const head = await fetch(`${stack.baseUrl}/v2/secure/debian/manifests/12`, { method: "HEAD", headers: { authorization: `Bearer ${token}`, accept: "application/vnd.docker.distribution.manifest.v2+json" } });
    assert.equal(head.status, 200, "HEAD is never refused (clients check digests and re-push fixed images)");
    const get = await fetch(`${stack.baseUrl}/v2/secure/debian/manifests/${digest}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(get.status, 412, "GET by digest is refused too");
    const body = (await get.json()) as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]!.code, "PROJECTPOLICYVIOLATION");
  });

  it("allowlisted CVEs do not count: both clients pull; an expired allowlist stops filtering", async () => {
    const items = [{ cve_id: "SYNTHETIC-BERTH-DEB-0001" }, { cve_id: "SYNTHETIC-BERTH-DEB-0002" }];
    await api.ok("PUT", "/projects/secure", { cve_allowlist: { items, expires_at: Math.floor(Date.now() / 1000) + 3600 } });
    const docker = await dockerd.docker(["pull", image]);
    assert.equal(docker.code, 0, docker.describe);
    const pulled = await podman.pull(image);
    assert.equal(pulled.code, 0, pulled.describe);
    await api.ok("PUT", "/projects/secure", { cve_allowlist: { items, expires_at: Math.floor(Date.now() / 1000) - 60 } });
    const token = await api.token([`repository:secure/debian:pull`]);
    const get = await fetch(`${stack.baseUrl}/v2/secure/debian/manifests/12`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(get.status, 412, "the expired allowlist no longer filters");
    // The system allowlist, when the project reuses it.
    await api.ok("PUT", "/system/CVEAllowlist", { items, expires_at: null });
    await api.ok("PUT", "/projects/secure", { metadata: { reuse_sys_cve_allowlist: "true" } });
    // The registry caches projects' policy settings for 2 s (docs/scanning.md).
    await eventually(
      async () => ((await fetch(`${stack.baseUrl}/v2/secure/debian/manifests/12`, { headers: { authorization: `Bearer ${token}` } })).status === 200 ? true : undefined),
      15_000,
      () => "the system allowlist does not apply with reuse_sys_cve_allowlist",
    );
    await api.ok("PUT", "/projects/secure", { metadata: { reuse_sys_cve_allowlist: "false" } });
  });

  it("replication reads an image the policy refuses: a push-mode copy of it succeeds while clients stay refused", async () => {
    // Replication reads this Berth through registry-store (never a /v2/ GET), so prevent_vul does not apply to it.
    const token = await api.token([`repository:secure/debian:pull`]);
    const refused = async () => ((await fetch(`${stack.baseUrl}/v2/secure/debian/manifests/12`, { headers: { authorization: `Bearer ${token}` } })).status === 412 ? true : undefined);
    await eventually(refused, 15_000, () => "the image is not refused again after the allowlists");
    const endpoint = await createEndpoint(api, { name: "self", type: "berth", url: stack.baseUrl, credential: { type: "basic", access_key: "admin", access_secret: stack.adminPassword } });
    const policy = await createReplicationPolicy(api, {
      name: "copy-refused",
      src_registry: null,
      dest_registry: { id: endpoint },
      dest_namespace: "mirror",
      dest_namespace_replace_count: 1,
      filters: [{ type: "name", value: "secure/debian" }],
      trigger: { type: "manual" },
    });
    const done = await finished(api, await startExecution(api, policy));
    assert.equal(done.status, "Succeed", await logs(api, done.id));
    const copied = (await api.ok("GET", "/projects/mirror/repositories/debian/artifacts/12")).body as { digest: string };
    assert.equal(copied.digest, digest, "the refused image arrived byte for byte");
    assert.ok(await refused(), "clients are still refused at the source");
  });

  it("SCANNING_COMPLETED arrived at the project's webhook with the scan overview", () => {
    const completed = hooks.received.filter((h) => h.body["type"] === "SCANNING_COMPLETED");
    assert.ok(completed.length >= 1, `webhooks: ${JSON.stringify(hooks.received.map((h) => h.body["type"]))}`);
    const resource = (completed[0]!.body["event_data"] as { resources: { digest: string; scan_overview?: Record<string, unknown> }[]; repository: { repo_full_name: string } });
    assert.equal(resource.repository.repo_full_name, "secure/debian");
    assert.equal(resource.resources[0]!.digest, digest);
    assert.ok(resource.resources[0]!.scan_overview, "with scan_overview");
  });

  it("an image never scanned is refused with Harbor's message", async () => {
    await api.ok("POST", "/projects", { project_name: "strict", metadata: { public: "false", prevent_vul: "true", severity: "low" } });
    // A new image (reports are per digest, as Harbor's: the Debian image's would apply here too).
    const dir = join(work, "tiny");
    await run("mkdir", ["-p", dir]);
    writeFileSync(join(dir, "hello.txt"), `never scanned ${Date.now()}\n`);
    const tarball = join(work, "tiny.tar");
    assert.equal((await run("tar", ["-C", dir, "-cf", tarball, "."])).code, 0);
    const tagged = `${stack.registry}/strict/tiny:1`;
    assert.equal((await dockerd.import(tarball, tagged)).code, 0);
    const pushed = await dockerd.docker(["push", tagged]);
    assert.equal(pushed.code, 0, pushed.describe);
    const token = await api.token([`repository:strict/tiny:pull`]);
    const get = await fetch(`${stack.baseUrl}/v2/strict/tiny/manifests/1`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(get.status, 412);
    assert.match(((await get.json()) as { errors: { message: string }[] }).errors[0]!.message, /without vulnerability scanning/);
  });

  it("the scan job's credential is a pull-only token for the one repository, lasting the scan timeout", async () => {
    // Another Pluggable Scanner API adapter, registered and made default: it records what Berth sends.
    const seen: { authorization?: string; registry?: string; repository?: string }[] = [];
    const http = await import("node:http");
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (req.url === "/api/v1/metadata") {
          res.writeHead(200, { "content-type": "application/vnd.scanner.adapter.metadata+json; version=1.0" });
          res.end(JSON.stringify({ scanner: { name: "recorder", vendor: "test", version: "1" }, capabilities: [{ consumes_mime_types: ["application/vnd.docker.distribution.manifest.v2+json"], produces_mime_types: [VULN] }] }));
        } else if (req.url === "/api/v1/scan" && req.method === "POST") {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { registry: { url: string; authorization: string }; artifact: { repository: string } };
          seen.push({ authorization: body.registry.authorization, registry: body.registry.url, repository: body.artifact.repository });
          res.writeHead(202, { "content-type": "application/vnd.scanner.adapter.scan.response+json; version=1.0" });
          res.end(JSON.stringify({ id: "recorded-1" }));
        } else {
          res.writeHead(500, { "content-type": "application/vnd.scanner.adapter.error+json; version=1.0" });
          res.end(JSON.stringify({ error: { message: "the recorder does not scan" } }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const scanner = { name: "recorder", url, auth: "X-ScannerAdapter-API-Key", access_credential: "recorder-key" };
      assert.equal((await api.request("POST", "/scanners/ping", scanner)).status, 200, "ping reaches the adapter");
      const created = await api.ok("POST", "/scanners", scanner);
      const uuid = created.headers.get("location")!.split("/").pop()!;
      const listed = (await api.ok("GET", "/scanners")).body as { name: string; is_default: boolean }[];
      assert.ok(listed.some((s) => s.name === "Berth" && s.is_default), "the built-in adapter is registered and default");
      assert.ok(!JSON.stringify(listed).includes("recorder-key"), "credentials are never returned");
      const builtIn = listed.find((s) => s.name === "Berth") as unknown as { uuid: string };
      // Each registration's metadata, fetched from its adapter through core.
      const recorderMeta = (await api.ok("GET", `/scanners/${uuid}/metadata`)).body as { scanner: { name: string } };
      assert.equal(recorderMeta.scanner.name, "recorder");
      const builtInMeta = (await api.ok("GET", `/scanners/${builtIn.uuid}/metadata`)).body as { capabilities: { type: string }[] };
      assert.deepEqual(builtInMeta.capabilities.map((c) => c.type).sort(), ["sbom", "vulnerability"]);
      await api.ok("PATCH", `/scanners/${uuid}`, { is_default: true });
      await api.ok("POST", `/projects/secure/repositories/debian/artifacts/${digest}/scan`, {});
      await eventually(async () => (hooks.received.some((h) => h.body["type"] === "SCANNING_FAILED") ? true : undefined), 60_000, () => `no SCANNING_FAILED\n${stack.tail()}`);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.repository, "secure/debian");
      assert.equal(seen[0]!.registry, stack.baseUrl, "the adapter pulls through the front door");
      const claims = jwtClaims(seen[0]!.authorization!.replace(/^Bearer /, ""));
      assert.deepEqual(claims["access"], [{ type: "repository", name: "secure/debian", actions: ["pull"] }]);
      assert.equal(Number(claims["exp"]) - Number(claims["iat"]), 30 * 60, "lasts as long as the scan timeout");
      assert.equal(claims["berth_purpose"], "scanner");
      // The default scanner's scan failed: the policy refuses with the matching message.
      const token = await api.token([`repository:secure/debian:pull`]);
      const failed = await fetch(`${stack.baseUrl}/v2/secure/debian/manifests/${digest}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(failed.status, 412);
      assert.match(((await failed.json()) as { errors: { message: string }[] }).errors[0]!.message, /with vulnerability scanning error/);
      await api.ok("PATCH", `/scanners/${builtIn.uuid}`, { is_default: true });
      assert.equal((await api.request("DELETE", `/scanners/${builtIn.uuid}`)).status, 412, "the built-in adapter cannot be deleted");
      await api.ok("DELETE", `/scanners/${uuid}`);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("scans and stops are in the audit log", async () => {
    const entries = (await api.ok("GET", "/audit-logs?page_size=100")).body as { operation: string; resource: string }[];
    assert.ok(entries.some((l) => l.operation === "scan" && l.resource.startsWith("secure/debian")), `audit: ${JSON.stringify(entries.map((l) => l.operation))}`);
  });

  it("a scan stopped while it runs ends Stopped, with SCANNING_STOPPED and no completion", async () => {
    const completedBefore = hooks.received.filter((h) => h.body["type"] === "SCANNING_COMPLETED").length;
    await api.ok("POST", `/projects/secure/repositories/debian/artifacts/${digest}/scan`, {});
    // The adapter answers its first poll with Refresh-After: the stop lands while the scan runs.
    const stopped = await api.request("POST", `/projects/secure/repositories/debian/artifacts/${digest}/scan/stop`);
    assert.equal(stopped.status, 202, stopped.text);
    await eventually(async () => (hooks.received.some((h) => h.body["type"] === "SCANNING_STOPPED") ? true : undefined), 60_000, () => `no SCANNING_STOPPED\n${stack.tail()}`);
    const overview = ((await api.ok("GET", `/projects/secure/repositories/debian/artifacts/${digest}?with_scan_overview=true`)).body as { scan_overview: Record<string, { scan_status: string }> }).scan_overview;
    assert.equal(overview[VULN]?.scan_status, "Stopped");
    await new Promise((r) => setTimeout(r, 5_000)); // the job notices the stop at its next poll
    assert.equal(hooks.received.filter((h) => h.body["type"] === "SCANNING_COMPLETED").length, completedBefore, "a stopped scan does not complete");
    assert.equal((await api.request("POST", `/projects/secure/repositories/debian/artifacts/${digest}/scan/stop`)).status, 404, "nothing left to stop");
  });

  it("a new SBOM replaces the old one; deleting the image removes its SBOM", async () => {
    // In secure/debian only: the replication test copied the image and its SBOM to mirror/debian.
    const where = `subject_digest = '${digest}' AND artifact_type = '${SBOM_TYPE}' AND repository_id = (SELECT id FROM repositories WHERE name = 'secure/debian')`;
    const sbomsOf = () => Number(stack.psql(`SELECT count(*) FROM manifests WHERE ${where}`));
    const before = stack.psql(`SELECT digest FROM manifests WHERE ${where}`);
    await api.ok("POST", `/projects/secure/repositories/debian/artifacts/${digest}/scan`, { scan_type: "sbom" });
    await eventually(
      async () => {
        const now = stack.psql(`SELECT digest FROM manifests WHERE ${where}`);
        return now && now !== before && !now.includes("\n") ? now : undefined;
      },
      120_000,
      () => `the SBOM was not regenerated\n${stack.tail()}`,
    );
    assert.equal(sbomsOf(), 1, "replaced, not added");
    await api.ok("DELETE", `/projects/secure/repositories/debian/artifacts/${digest}`);
    await eventually(async () => (sbomsOf() === 0 ? true : undefined), 60_000, () => `the SBOM outlived its image\n${stack.tail()}`);
  });

  it("scan-all scans every image; its schedule takes Harbor's types and the one cron validator", async () => {
    assert.equal((await api.request("PUT", "/system/scanAll/schedule", { schedule: { type: "Custom", cron: "not a cron" } })).status, 400);
    await api.ok("PUT", "/system/scanAll/schedule", { schedule: { type: "Custom", cron: "0 0 3 * * *" } });
    assert.deepEqual(((await api.ok("GET", "/system/scanAll/schedule")).body as { schedule: unknown }).schedule, { type: "Custom", cron: "0 0 3 * * *" });
    await api.ok("POST", "/system/scanAll/schedule", { schedule: { type: "Manual" } });
    const metrics = await eventually(
      async () => {
        const m = (await api.ok("GET", "/scans/all/metrics")).body as { total: number; completed: number; ongoing: boolean; metrics: Record<string, number> };
        return m.total > 0 && !m.ongoing && m.completed === m.total ? m : undefined;
      },
      180_000,
      () => `scan-all did not finish\n${stack.tail()}`,
    );
    // The images left: strict/tiny, and plain/debian with the replicated mirror/debian — one digest, and reports are
    // per digest, as Harbor's (SBOMs and the deleted image are not scanned).
    assert.equal(metrics.total, 2, JSON.stringify(metrics));
    assert.equal(metrics.metrics["Success"], 2, JSON.stringify(metrics));
  });
});
