// Scan jobs against a Pluggable Scanner API adapter that never finishes (a loopback server that
// accepts the scan and answers every report request 302 + Refresh-After): the job polls no faster
// than Refresh-After says, gives up at the scan timeout (shortened here from 30 minutes), ends its
// report Error and writes `scan.failed`; scan-all runs as a SCAN_ALL execution of @berth/executions.
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SCAN_ALL_VENDOR_TYPE, VULN_REPORT_MIME } from "@berth/scanning";
import { ensureSigningKey } from "@berth/token";
import { createProject, startReceiver, startTestJobservice, waitFor, type Receiver, type TestJobservice } from "../test-support.js";
import { startScan } from "./scan.subscribers.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"] && process.env["BERTH_TEST_REDIS_URL"]);
const digestOf = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}` as never;
const TIMEOUT_MS = 4_000;

describe("scan jobs", { skip: !enabled && "needs BERTH_TEST_PG_URL and BERTH_TEST_REDIS_URL" }, () => {
  let t: TestJobservice;
  let adapter: Receiver;
  let keyDir: string;
  const polls: number[] = [];

  before(async () => {
    keyDir = await mkdtemp(join(tmpdir(), "berth-scan-key-"));
    const key = ensureSigningKey({ keyFile: join(keyDir, "tls.key"), certFile: join(keyDir, "tls.crt") });
    adapter = await startReceiver((req, res) => {
      if (req.method === "POST" && req.url === "/api/v1/scan") {
        res.writeHead(202, { "content-type": "application/vnd.scanner.adapter.scan.response+json; version=1.0" });
        return void res.end(JSON.stringify({ id: randomUUID() }));
      }
      if (req.method === "GET" && /^\/api\/v1\/scan\/[^/]+\/report$/.test(req.url)) {
        polls.push(Date.now());
        res.writeHead(302, { "refresh-after": "1", location: req.url });
        return void res.end();
      }
      res.writeHead(404).end();
    });
    t = await startTestJobservice({
      scanning: { signingKey: () => key, token: { issuer: "berth-token-issuer", service: "berth-registry" }, registryUrl: "http://registry.test:8080", timeoutMs: TIMEOUT_MS },
    });
    await t.db.scannerRegistration.create({ data: { uuid: randomUUID(), name: "never-done", url: adapter.url, isDefault: true } });
  });
  after(async () => {
    await t?.close();
    await adapter?.close();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  const pushImage = async (repository: string): Promise<string> => {
    const upload = async (bytes: Buffer) => {
      const digest = digestOf(bytes);
      await t.registry.uploads.uploadMonolithic(repository, digest, (async function* () { yield bytes; })(), bytes.length);
      return digest;
    };
    const config = Buffer.from(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"n":"${randomUUID()}"}`);
    const layer = Buffer.from(`layer ${randomUUID()}`);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: await upload(config), size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: await upload(layer), size: layer.length }],
    }));
    const { digest } = await t.registry.manifests.put(repository, { kind: "tag", tag: "1" } as never, manifest, "application/vnd.oci.image.manifest.v1+json", { name: "admin" });
    return digest;
  };

  it("polls as Refresh-After says and gives up at the scan timeout: the report ends Error and scan.failed is written", async () => {
    await createProject(t.db, "slow");
    const digest = await pushImage("slow/app");
    const ids = await startScan({ db: t.db, queues: t.js.queues }, { repository: "slow/app", digest, mimeTypes: [VULN_REPORT_MIME], trigger: "MANUAL" });
    assert.ok(ids && ids.length === 1);
    const report = await waitFor(async () => {
      const row = await t.db.scanReport.findUniqueOrThrow({ where: { id: ids[0]! } });
      return row.status === "Error" ? row : undefined;
    }, 60_000, "the scan to fail at its timeout");
    assert.match(report.statusMessage, /did not finish within/);
    assert.ok(polls.length >= 2, `the job polled ${polls.length} times`);
    // Never sooner than the adapter asked (a lower bound only: a busy machine may poll later).
    for (let i = 1; i < polls.length; i++) assert.ok(polls[i]! - polls[i - 1]! >= 900, `poll ${i} came ${polls[i]! - polls[i - 1]!} ms after the previous one`);
    const failed = await t.db.outboxEvent.findMany({ where: { type: "scan.failed" } });
    assert.equal(failed.length, 1);
    assert.equal((failed[0]!.payload as { digest: string }).digest, digest);
    assert.equal((await t.db.scanReport.findUniqueOrThrow({ where: { id: ids[0]! } })).log.includes("failed: the scan did not finish"), true);
  });

  it("scan-all is a SCAN_ALL execution: a scan of each image, counted in its attributes, ended through the execution store", async () => {
    await createProject(t.db, "every");
    const digests = [await pushImage("every/a"), await pushImage("every/b")];
    await t.js.queues.enqueue("scan_all.run", { trigger: "Manual", operator: "admin", requestId: randomUUID() });
    const execution = await waitFor(async () => {
      const row = await t.db.execution.findFirst({ where: { vendorType: SCAN_ALL_VENDOR_TYPE } });
      return row?.endTime ? row : undefined;
    }, 30_000, "the scan-all execution to end");
    assert.equal(execution.status, "Success");
    assert.equal(execution.trigger, "MANUAL");
    const reports = await t.db.scanReport.findMany({ where: { executionId: execution.id } });
    // slow/app's scan ended above; each image gets one report under this execution.
    const all = await t.db.scanReport.findMany({ select: { digest: true, repository: true, executionId: true, status: true } });
    assert.deepEqual(reports.map((r) => r.digest).filter((d) => digests.includes(d as never)).sort(), [...digests].sort(), JSON.stringify({ execution, all }, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
    assert.equal((execution.extraAttrs as { scans: number; operator: string }).scans, reports.length);
    assert.equal((execution.extraAttrs as { operator: string }).operator, "admin");
  });
});
