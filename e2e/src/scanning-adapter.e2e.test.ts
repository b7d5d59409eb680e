// The scanner adapter as any Pluggable Scanner API client (Harbor) uses it: images whose layers hold
// each package format in its real on-disk form (an apk database, an rpm SQLite database made by rpm
// itself, npm lockfiles and installed packages, Python dist-info, a Go binary, a Java archive),
// gzip and zstd layers, a whiteout and an opaque directory; the registry credential given as Basic
// (exchanged at the token service, as Harbor's robot credentials are). Every response is checked
// against the API's OpenAPI document; SBOMs against SPDX 2.3 and CycloneDX 1.5. The advisories are
// written for the test (ids SYNTHETIC-…). Last, a 256 MiB image: the adapter streams it, so its
// memory grows by a bounded amount.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { CoreApi } from "./support/api.js";
import { run, runOk } from "./support/exec.js";
import { repoRoot } from "./support/launcher.js";
import { basicAuth } from "./support/http.js";
import { sha256, tar } from "./support/images.js";
import { HttpClient, Repo } from "./support/oci-client.js";
import { adapterApiKey, cyclonedxValidator, CVSS_HIGH, osvRecord, ScannerApiSpec, spdxValidator, type SyntheticAdvisory } from "./support/scanning.js";
import { startTestStack, type TestStack } from "./support/stack.js";

const require = createRequire(import.meta.url);
const MiB = 1024 * 1024;
const VULN = "application/vnd.security.vulnerability.report; version=1.1";
const HARBOR_VULN = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";
const SBOM = "application/vnd.security.sbom.report+json; version=1.0";
const SCAN_REQUEST = "application/vnd.scanner.adapter.scan.request+json; version=1.1";

interface Pushed {
  repository: string;
  digest: string;
  layers: { digest: string; diffId: string }[];
}

/** A layer from a staged directory, tarred by GNU tar (modes, whiteout files and all), compressed as asked. */
async function layerOf(dir: string, compression: "gzip" | "zstd" | "none"): Promise<{ data: Buffer; diffId: string; mediaType: string }> {
  const file = `${dir}.tar`;
  const r = await run("tar", ["-C", dir, "--sort=name", "-cf", file, "."]);
  assert.equal(r.code, 0, r.describe);
  const plain = readFileSync(file);
  const data = compression === "gzip" ? gzipSync(plain) : compression === "zstd" ? zstdCompressSync(plain) : plain;
  const mediaType = `application/vnd.oci.image.layer.v1.tar${compression === "gzip" ? "+gzip" : compression === "zstd" ? "+zstd" : ""}`;
  return { data, diffId: sha256(plain), mediaType };
}

describe("the scanner adapter's API, package formats and streaming", () => {
  let stack: TestStack;
  let api: CoreApi;
  let work: string;
  let adapter: string;
  let key: string;
  let baseFilesVersion: string;
  const spec = new ScannerApiSpec();
  const problems: string[] = [];

  /** A call to the adapter whose response is checked against the spec (`specPath` as the spec names it). */
  async function call(method: string, path: string, specPath: string, init: { body?: string; headers?: Record<string, string> } = {}) {
    const res = await fetch(`${adapter}${path}`, { method, redirect: "manual", headers: { authorization: `Bearer ${key}`, ...init.headers }, ...(init.body !== undefined && { body: init.body }) });
    const text = await res.text();
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    problems.push(...spec.check(method, specPath, res.status, res.headers.get("content-type"), body).map((p) => `${method} ${path} ${res.status}: ${p}`));
    return { status: res.status, headers: res.headers, body };
  }

  /** Scans `image` through the API (Basic credentials, as Harbor sends robot accounts) and waits for the report. */
  async function scan(image: Pushed): Promise<string> {
    const accepted = await call("POST", "/api/v1/scan", "/scan", {
      headers: { "content-type": SCAN_REQUEST },
      body: JSON.stringify({
        registry: { url: stack.baseUrl, authorization: basicAuth("admin", stack.adminPassword)["authorization"] },
        artifact: { repository: image.repository, digest: image.digest, mime_type: "application/vnd.oci.image.manifest.v1+json" },
      }),
    });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const id = (accepted.body as { id: string }).id;
    let pending = 0;
    for (const deadline = Date.now() + 180_000; Date.now() < deadline; ) {
      const res = await call("GET", `/api/v1/scan/${id}/report`, "/scan/{scan_request_id}/report", { headers: { accept: VULN } });
      if (res.status === 200) return id;
      assert.equal(res.status, 302, `report: ${JSON.stringify(res.body)}`);
      pending++;
      const after = Number(res.headers.get("refresh-after"));
      assert.ok(after > 0, "302 carries Refresh-After");
      await new Promise((r) => setTimeout(r, Math.min(after, 1) * 1000));
    }
    assert.fail(`no report for ${image.repository} after 180 s (${pending} polls)`);
  }

  async function report<T>(id: string, accept: string, query = ""): Promise<T> {
    const res = await call("GET", `/api/v1/scan/${id}/report${query}`, "/scan/{scan_request_id}/report", { headers: { accept } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers.get("content-type"), accept);
    return res.body as T;
  }

  let repo: (name: string) => Promise<Repo>;
  async function push(name: string, layers: { data: Buffer; diffId: string; mediaType: string }[]): Promise<Pushed> {
    const r = await repo(name);
    for (const l of layers) await r.pushBlobIfMissing(l.data, sha256(l.data));
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) } }));
    await r.pushBlobIfMissing(config, sha256(config));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256(config), size: config.length },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: sha256(l.data), size: l.data.length })),
      }),
    );
    await r.putManifest("1", manifest);
    return { repository: `lab/${name}`, digest: sha256(manifest), layers: layers.map((l) => ({ digest: sha256(l.data), diffId: l.diffId })) };
  }

  const ajvDir = dirname(require.resolve("ajv/package.json"));
  const ajvVersion = (JSON.parse(readFileSync(join(ajvDir, "package.json"), "utf8")) as { version: string }).version;
  const pythonPackages = readdirSync("/usr/lib/python3/dist-packages").filter((d) => d.endsWith(".dist-info"));
  const kept = pythonPackages.find((d) => d.startsWith("PyYAML-")) ?? pythonPackages[0]!;
  const removed = pythonPackages.find((d) => d !== kept)!;
  const pyName = (d: string) => /^Name:\s*(.+)$/m.exec(readFileSync(`/usr/lib/python3/dist-packages/${d}/METADATA`, "utf8"))![1]!.trim();
  const pyVersion = (d: string) => /^Version:\s*(.+)$/m.exec(readFileSync(`/usr/lib/python3/dist-packages/${d}/METADATA`, "utf8"))![1]!.trim();

  const advisories: (SyntheticAdvisory & { package: string; fix: string })[] = [
    { id: "SYNTHETIC-BERTH-APK-0001", ecosystem: "Alpine:v3.19", name: "busybox", fixed: "1.36.1-r16", cvss: CVSS_HIGH, package: "busybox", fix: "1.36.1-r16" },
    { id: "SYNTHETIC-BERTH-RPM-0001", ecosystem: "Rocky Linux:9", name: "berth-hello", fixed: "1:1.2.3-5.el9", cvss: CVSS_HIGH, package: "berth-hello", fix: "1:1.2.3-5.el9" },
    { id: "SYNTHETIC-BERTH-NPM-0001", ecosystem: "npm", name: "left-pad", introduced: "1.0.0", fixed: "1.3.0", cvss: CVSS_HIGH, package: "left-pad", fix: "1.3.0" },
    { id: "SYNTHETIC-BERTH-NPM-0002", ecosystem: "npm", name: "ajv", introduced: "8.0.0", fixed: "99.0.0", cvss: CVSS_HIGH, package: "ajv", fix: "99.0.0" },
    { id: "SYNTHETIC-BERTH-PYPI-0001", ecosystem: "PyPI", name: pyName(kept), fixed: "999.0", cvss: CVSS_HIGH, package: pyName(kept), fix: "999.0" },
    { id: "SYNTHETIC-BERTH-GO-0001", ecosystem: "Go", name: "stdlib", fixed: "1.99.0", cvss: CVSS_HIGH, package: "stdlib", fix: "1.99.0" },
    { id: "SYNTHETIC-BERTH-MVN-0001", ecosystem: "Maven", name: "commons-io:commons-io", fixed: "2.14.0", cvss: CVSS_HIGH, package: "commons-io:commons-io", fix: "2.14.0" },
  ];
  // Packages a later layer removed: their advisories must not be reported.
  const hidden: SyntheticAdvisory[] = [
    { id: "SYNTHETIC-BERTH-NPM-0003", ecosystem: "npm", name: "semver", cvss: CVSS_HIGH },
    { id: "SYNTHETIC-BERTH-PYPI-0002", ecosystem: "PyPI", name: pyName(removed), cvss: CVSS_HIGH },
  ];
  const images: Record<string, Pushed> = {};

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "berth-e2e-adapter-"));
    const db = join(work, "osv");
    mkdirSync(db);
    for (const a of [...advisories, ...hidden]) writeFileSync(join(db, `${a.id}.json`), JSON.stringify(osvRecord(a)));
    stack = await startTestStack("scan-adapter", { env: { BERTH_SCANNER_DB_DIR: db, BERTH_DEBUG_MEMORY: "1" } });
    api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    await api.ok("POST", "/projects", { project_name: "lab", metadata: { public: "false" } });
    adapter = `http://127.0.0.1:${stack.running.ports["scanner-adapter"]}`;
    key = adapterApiKey(stack.dataDir);
    const http = new HttpClient(stack.baseUrl);
    repo = async (name) => new Repo(http, `lab/${name}`, { authorization: `Bearer ${await api.token([`repository:lab/${name}:pull,push`])}` });

    const stage = (name: string, files: Record<string, string | Buffer>, modes: Record<string, number> = {}) => {
      const dir = join(work, name);
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
        if (modes[path]) chmodSync(join(dir, path), modes[path]!);
      }
      return dir;
    };
    // Alpine: apk's installed database.
    const apk = ["P:busybox", "V:1.36.1-r15", "A:x86_64", "L:GPL-2.0-only", "o:busybox", "", "P:ssl_client", "V:1.36.1-r15", "A:x86_64", "o:busybox", "", "P:musl", "V:1.2.4_git20230717-r4", "A:x86_64", "o:musl", ""].join("\n");
    images["alpine"] = await push("alpine", [await layerOf(stage("alpine", { "etc/os-release": 'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n', "lib/apk/db/installed": apk }), "gzip")]);
    // Distroless: one dpkg stanza per file under var/lib/dpkg/status.d (md5sums beside it), this machine's own base-files.
    const stanza = (await runOk("dpkg-query", ["-s", "base-files"])).stdout;
    baseFilesVersion = (await runOk("dpkg-query", ["-W", "-f=${Version}", "base-files"])).stdout.trim();
    images["distroless"] = await push("distroless", [
      await layerOf(stage("distroless", { "etc/os-release": 'PRETTY_NAME="Distroless"\nID=debian\nVERSION_ID="12"\n', "var/lib/dpkg/status.d/base-files": stanza, "var/lib/dpkg/status.d/base-files.md5sums": "0123  usr/lib/os-release\n" }), "gzip"),
    ]);
    // Rocky: a real rpm SQLite database, written by rpm from a package built by rpmbuild.
    const rpmTop = join(work, "rpmbuild");
    mkdirSync(join(rpmTop, "SPECS"), { recursive: true });
    writeFileSync(join(rpmTop, "SPECS", "hello.spec"), "Name: berth-hello\nVersion: 1.2.3\nRelease: 4.el9\nEpoch: 1\nSummary: test\nLicense: MIT\nBuildArch: noarch\n%description\ntest\n%files\n");
    assert.equal((await run("rpmbuild", ["--quiet", "--define", `_topdir ${rpmTop}`, "-bb", join(rpmTop, "SPECS", "hello.spec")])).code, 0);
    const rpmDb = join(work, "rpmdb");
    const rpmArgs = ["--dbpath", rpmDb, "--define", "_db_backend sqlite"];
    assert.equal((await run("rpm", [...rpmArgs, "--initdb"])).code, 0);
    const installed = await run("rpm", [...rpmArgs, "-i", "--justdb", "--nodeps", "--noscripts", "--ignorearch", "--ignoreos", join(rpmTop, "RPMS", "noarch", "berth-hello-1.2.3-4.el9.noarch.rpm")]);
    assert.equal(installed.code, 0, installed.describe);
    const sqlite = new DatabaseSync(join(rpmDb, "rpmdb.sqlite"));
    sqlite.exec("PRAGMA wal_checkpoint(TRUNCATE)"); // as distributions ship it: no write-ahead log left over
    sqlite.close();
    images["rocky"] = await push("rocky", [
      await layerOf(stage("rocky", { "etc/os-release": 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.3"\n', "var/lib/rpm/rpmdb.sqlite": readFileSync(join(rpmDb, "rpmdb.sqlite")) }), "zstd"),
    ]);
    // Language packages in layer 1; layer 2 whites one Python package out and makes node_modules opaque.
    const lock = { name: "srv", version: "1.0.0", lockfileVersion: 3, requires: true, packages: { "": { name: "srv", version: "1.0.0" }, "node_modules/left-pad": { version: "1.1.0", resolved: "https://registry.npmjs.org/left-pad/-/left-pad-1.1.0.tgz", license: "WTFPL" } } };
    // A real installed package.json: the adapter's own semver.
    const semverPkg = createRequire(join(repoRoot, "services", "scanner-adapter", "package.json")).resolve("semver/package.json");
    const layer1 = stage(
      "apps1",
      {
        "srv/package-lock.json": JSON.stringify(lock, null, 2),
        "srv/node_modules/semver/package.json": readFileSync(semverPkg),
        [`usr/lib/python3/dist-packages/${kept}/METADATA`]: readFileSync(`/usr/lib/python3/dist-packages/${kept}/METADATA`),
        [`usr/lib/python3/dist-packages/${removed}/METADATA`]: readFileSync(`/usr/lib/python3/dist-packages/${removed}/METADATA`),
        "usr/bin/umoci": readFileSync("/usr/bin/umoci"),
        "opt/lib/commons-io.jar": readFileSync("/usr/share/java/commons-io-2.11.0.jar"),
      },
      { "usr/bin/umoci": 0o755 },
    );
    const layer2 = stage("apps2", { [`usr/lib/python3/dist-packages/.wh.${removed}`]: "", "srv/node_modules/.wh..wh..opq": "", "srv/node_modules/ajv/package.json": readFileSync(join(ajvDir, "package.json")) });
    images["apps"] = await push("apps", [await layerOf(layer1, "gzip"), await layerOf(layer2, "zstd")]);
  });

  after(async () => {
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("metadata: both report capabilities, answered in the spec's shape (v1.1 and v1.0)", async () => {
    const meta = await call("GET", "/api/v1/metadata", "/metadata");
    assert.equal(meta.status, 200);
    const capabilities = (meta.body as { capabilities: { type: string; produces_mime_types: string[]; additional_attributes?: { sbom_media_types: string[] } }[] }).capabilities;
    assert.deepEqual(capabilities.find((c) => c.type === "vulnerability")?.produces_mime_types, [VULN, HARBOR_VULN]);
    assert.deepEqual(capabilities.find((c) => c.type === "sbom")?.additional_attributes?.sbom_media_types, ["application/spdx+json", "application/vnd.cyclonedx+json"]);
    const v10 = await call("GET", "/api/v1/metadata", "/metadata", { headers: { accept: "application/vnd.scanner.adapter.metadata+json; version=1.0" } });
    assert.equal(v10.headers.get("content-type"), "application/vnd.scanner.adapter.metadata+json; version=1.0");
    const anonymous = await fetch(`${adapter}/api/v1/metadata`);
    assert.equal(anonymous.status, 401, "the API key is required");
    const wrong = await fetch(`${adapter}/api/v1/metadata`, { headers: { "x-scanneradapter-api-key": "not-the-key" } });
    assert.equal(wrong.status, 401);
    // Each way Harbor's registrations send the key: X-ScannerAdapter-API-Key, Bearer, Basic (the key as the password).
    for (const headers of [{ "x-scanneradapter-api-key": key }, { authorization: `Bearer ${key}` }, basicAuth("harbor", key)]) {
      assert.equal((await fetch(`${adapter}/api/v1/metadata`, { headers })).status, 200, Object.keys(headers).join());
    }
    assert.deepEqual(problems, []);
  });

  it("refuses bad requests with the spec's errors: invalid JSON 400, a missing field 422, an unknown id 404, an SBOM without its type 400, an unproduced type 501", async () => {
    const headers = { "content-type": SCAN_REQUEST };
    assert.equal((await call("POST", "/api/v1/scan", "/scan", { headers, body: "{not json" })).status, 400);
    assert.equal((await call("POST", "/api/v1/scan", "/scan", { headers, body: JSON.stringify({ registry: { url: stack.baseUrl }, artifact: { repository: "lab/x" } }) })).status, 422);
    assert.equal((await call("POST", "/api/v1/scan", "/scan", { headers, body: JSON.stringify({ registry: { url: 7 }, artifact: {} }) })).status, 400);
    assert.equal((await call("GET", "/api/v1/scan/00000000-0000-4000-8000-000000000000/report", "/scan/{scan_request_id}/report", { headers: { accept: VULN } })).status, 404);
    assert.equal((await call("GET", "/api/v1/scan/00000000-0000-4000-8000-000000000000/report", "/scan/{scan_request_id}/report", { headers: { accept: SBOM } })).status, 400);
    assert.equal((await call("GET", "/api/v1/scan/x/report", "/scan/{scan_request_id}/report", { headers: { accept: "application/vnd.example.other" } })).status, 501);
    assert.deepEqual(problems, []);
  });

  it("finds every package format with its layer, applies the whiteout and the opaque directory, and matches each ecosystem", async () => {
    const found: { type: string; name: string; version: string; layer: string }[] = [];
    const findings: { id: string; package: string; fix_version: string; layer?: { digest: string; diff_id: string } }[] = [];
    for (const image of Object.values(images)) {
      const id = await scan(image);
      const spdx = await report<{ sbom: { packages: { name: string; versionInfo: string; sourceInfo?: string; externalRefs?: { referenceLocator: string }[] }[] } }>(id, SBOM, "?sbom_media_type=application%2Fspdx%2Bjson");
      assert.deepEqual(spdxValidator()(spdx.sbom), [], `${image.repository}: SPDX 2.3`);
      const cdx = await report<{ sbom: { components: { name: string; version: string; purl: string; properties: { name: string; value: string }[] }[] } }>(id, SBOM, "?sbom_media_type=application%2Fvnd.cyclonedx%2Bjson");
      assert.deepEqual(cyclonedxValidator()(cdx.sbom), [], `${image.repository}: CycloneDX 1.5`);
      const spdxSet = spdx.sbom.packages.filter((p) => p.externalRefs).map((p) => `${p.name}@${p.versionInfo}`).sort();
      assert.deepEqual(cdx.sbom.components.map((c) => `${c.name}@${c.version}`).sort(), spdxSet, "both formats list the same packages");
      for (const c of cdx.sbom.components) found.push({ type: c.purl.split("/")[0]!.slice(4), name: c.name, version: c.version, layer: c.properties.find((p) => p.name === "berth:layer:digest")!.value });
      const vuln = await report<{ vulnerabilities: typeof findings }>(id, VULN);
      const harbor = await report<{ vulnerabilities: typeof findings }>(id, HARBOR_VULN);
      assert.deepEqual(harbor.vulnerabilities, vuln.vulnerabilities, "both report types carry the same findings");
      findings.push(...vuln.vulnerabilities);
    }
    assert.deepEqual(problems, [], "every response valid against the OpenAPI document");
    const [l1, l2] = images["apps"]!.layers;
    const has = (type: string, name: string, version: string, layer: string) =>
      assert.ok(found.some((f) => f.type === type && f.name === name && f.version === version && f.layer === layer), `${type} ${name}@${version} in ${layer}: ${JSON.stringify(found.filter((f) => f.name === name))}`);
    has("apk", "busybox", "1.36.1-r15", images["alpine"]!.layers[0]!.digest);
    has("apk", "musl", "1.2.4_git20230717-r4", images["alpine"]!.layers[0]!.digest);
    has("rpm", "berth-hello", "1:1.2.3-4.el9", images["rocky"]!.layers[0]!.digest);
    has("deb", "base-files", baseFilesVersion, images["distroless"]!.layers[0]!.digest);
    assert.equal(found.filter((f) => f.type === "deb").length, 1, "one package from status.d, none from its md5sums");
    has("npm", "left-pad", "1.1.0", l1!.digest);
    has("npm", "ajv", ajvVersion, l2!.digest);
    has("pypi", pyName(kept), pyVersion(kept), l1!.digest);
    has("maven", "commons-io:commons-io", "2.11.0", l1!.digest);
    assert.ok(found.some((f) => f.type === "golang" && f.name === "stdlib" && /^v1\.\d+/.test(f.version) && f.layer === l1!.digest), "the Go binary's build info");
    assert.ok(!found.some((f) => f.name === "semver"), "the opaque directory hid node_modules of layer 1");
    assert.ok(!found.some((f) => f.name === pyName(removed)), "the whiteout removed the Python package");
    for (const a of advisories) {
      const f = findings.find((v) => v.id === a.id);
      assert.ok(f, `${a.id} reported: ${JSON.stringify(findings.map((v) => v.id))}`);
      assert.equal(f.package, a.package);
      assert.equal(f.fix_version, a.fix);
    }
    for (const h of hidden) assert.ok(!findings.some((v) => v.id === h.id), `${h.id} (a removed package) not reported`);
    assert.deepEqual(findings.find((v) => v.id === "SYNTHETIC-BERTH-NPM-0002")?.layer, { digest: l2!.digest, diff_id: l2!.diffId });
  });

  it("streams a 256 MiB image: the adapter's memory grows by a bounded amount", async () => {
    const SIZE = 256 * MiB;
    const layerTar = tar({ "data/blob.bin": randomBytes(SIZE) });
    const image = await push("big", [{ data: layerTar, diffId: sha256(layerTar), mediaType: "application/vnd.oci.image.layer.v1.tar" }]);
    const pid = stack.pidOf("scanner-adapter");
    assert.ok(pid);
    const rss = () => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
    const steady = async () => (await (await fetch(`${adapter}/debug/memory`)).json()) as { rss: number; heapUsed: number; external: number };
    await scan(images["alpine"]!); // warm every path first
    const before = await steady();
    let peak = rss();
    const sampler = setInterval(() => (peak = Math.max(peak, rss())), 25);
    try {
      await scan(image);
    } finally {
      clearInterval(sampler);
    }
    const afterwards = await steady();
    const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
    console.log(`# scanner-adapter: collected ${mib(before.rss)} before, peak ${mib(peak)} while scanning 256 MiB, ${mib(afterwards.rss)} after`);
    assert.ok(peak - before.rss < SIZE / 2, `resident memory grew ${mib(peak - before.rss)} scanning 256 MiB (limit ${mib(SIZE / 2)})`);
    const retained = afterwards.heapUsed + afterwards.external - (before.heapUsed + before.external);
    assert.ok(retained < 16 * MiB, `kept ${mib(retained)} after the scan (limit 16 MiB)`);
  });
});
