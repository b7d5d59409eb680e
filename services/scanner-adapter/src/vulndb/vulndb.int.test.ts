// The vulnerability database against a real PostgreSQL: OSV records imported from a directory, from
// a zip, and refreshed from a URL (a local HTTP server serving a zip, as osv.dev serves its
// per-ecosystem archives); invalid records skipped; a re-import replaces a record; matching by
// ecosystem and version order. Records are written for the test (ids SYNTHETIC-…).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createPrismaClient, type PrismaClient } from "@berth/db";
import { createTestDatabase, type TestDatabase } from "@berth/db/testing";
import { createLogger } from "@berth/logger";
import type { ImagePackage } from "../analysis/packages.js";
import { VulnerabilityMatcher } from "./matcher.js";
import { OsvStore } from "./osv-store.js";
import { VulnDbUpdater } from "./vulndb-updater.js";

const enabled = Boolean(process.env["BERTH_TEST_PG_URL"]);

const record = (id: string, ecosystem: string, name: string, events: Record<string, string>[], extra: Record<string, unknown> = {}) => ({
  id,
  modified: "2026-01-01T00:00:00Z",
  summary: `synthetic ${id}`,
  affected: [{ package: { ecosystem, name }, ranges: [{ type: "ECOSYSTEM", events }] }],
  ...extra,
});

const pkg = (p: Partial<ImagePackage> & Pick<ImagePackage, "type" | "name" | "version">): ImagePackage => ({ path: "x", layer: { digest: "sha256:l", diff_id: "sha256:d" }, purl: "pkg:x", ...p });

describe("vulnerability database", { skip: !enabled && "needs BERTH_TEST_PG_URL" }, () => {
  let testDb: TestDatabase;
  let db: PrismaClient;
  let store: OsvStore;
  let work: string;
  let server: http.Server;
  let served: Buffer = Buffer.alloc(0);
  let downloads = 0;
  const logger = createLogger({ service: "scanner-adapter", stdout: new Writable({ write: (_c, _e, cb) => cb() }) });

  before(async () => {
    testDb = await createTestDatabase(process.env["BERTH_TEST_PG_URL"]!);
    db = createPrismaClient(testDb.url, { poolSize: 3 });
    store = new OsvStore(db);
    work = mkdtempSync(join(tmpdir(), "berth-osv-"));
    server = http.createServer((req, res) => {
      if (req.url === "/osv/all.zip") {
        downloads++;
        res.writeHead(200, { "content-type": "application/zip" }).end(served);
      }
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await db?.$disconnect();
    await testDb?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("imports a directory (records and zips in it), skipping what is not OSV", async () => {
    const dir = join(work, "dir");
    mkdirSync(join(dir, "nested"), { recursive: true });
    writeFileSync(join(dir, "a.json"), JSON.stringify(record("SYNTHETIC-DIR-1", "Debian:12", "zlib", [{ introduced: "0" }, { fixed: "1:1.3-1" }])));
    writeFileSync(join(dir, "nested", "b.json"), JSON.stringify(record("SYNTHETIC-DIR-2", "npm", "left-pad", [{ introduced: "0" }, { fixed: "1.3.0" }], { aliases: ["CVE-2099-0001"] })));
    writeFileSync(join(dir, "broken.json"), "{ not json");
    writeFileSync(join(dir, "no-id.json"), JSON.stringify({ modified: "2026-01-01T00:00:00Z" }));
    const zipDir = join(work, "zipped");
    mkdirSync(zipDir);
    writeFileSync(join(zipDir, "SYNTHETIC-ZIP-1.json"), JSON.stringify(record("SYNTHETIC-ZIP-1", "PyPI", "Django", [{ introduced: "4.0" }, { fixed: "4.2.1" }])));
    execFileSync("zip", ["-q", "-j", join(dir, "pypi.zip"), join(zipDir, "SYNTHETIC-ZIP-1.json")]);
    const result = await new VulnDbUpdater({ store, logger, dir, cron: "0 0 * * * *" }).importDirectory(dir);
    assert.equal(result?.imported, 3);
    assert.equal(result?.skipped, 2);
    assert.equal((await store.status()).advisories, 3);
    assert.ok((await store.status()).updatedAt, "the import is recorded");
  });

  it("refreshes from a URL serving a zip; a newer record replaces the stored one", async () => {
    const dir = join(work, "url");
    mkdirSync(dir);
    writeFileSync(join(dir, "SYNTHETIC-DIR-1.json"), JSON.stringify(record("SYNTHETIC-DIR-1", "Debian:12", "zlib", [{ introduced: "0" }, { fixed: "1:1.4-1" }])));
    writeFileSync(join(dir, "SYNTHETIC-URL-1.json"), JSON.stringify(record("SYNTHETIC-URL-1", "Go", "golang.org/x/net", [{ introduced: "0" }, { fixed: "0.17.0" }])));
    execFileSync("zip", ["-q", "-j", join(work, "all.zip"), join(dir, "SYNTHETIC-DIR-1.json"), join(dir, "SYNTHETIC-URL-1.json")]);
    served = readFileSync(join(work, "all.zip"));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/osv/all.zip`;
    const result = await new VulnDbUpdater({ store, logger, url, cron: "0 0 * * * *" }).refreshFromUrl(url);
    assert.equal(result?.imported, 2);
    assert.equal((await store.status()).advisories, 4);
    const zlib = await store.candidates("Debian:12", ["zlib"]);
    assert.equal(zlib.length, 1, "replaced, not added");
    assert.deepEqual(zlib[0]!.ranges[0]!.events, [{ introduced: "0" }, { fixed: "1:1.4-1" }]);
    await assert.rejects(new VulnDbUpdater({ store, logger, url: `${url}.missing`, cron: "0 0 * * * *" }).refreshFromUrl(`${url}.missing`), /404/);
  });

  it("downloads the URL when its cron schedule fires (no request needed)", async () => {
    const dir = join(work, "scheduled");
    mkdirSync(dir);
    writeFileSync(join(dir, "SYNTHETIC-SCHED-1.json"), JSON.stringify(record("SYNTHETIC-SCHED-1", "PyPI", "berth-scheduled", [{ introduced: "0" }, { fixed: "2.0" }])));
    execFileSync("zip", ["-q", "-j", join(work, "scheduled.zip"), join(dir, "SYNTHETIC-SCHED-1.json")]);
    served = readFileSync(join(work, "scheduled.zip"));
    const before = downloads;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/osv/all.zip`;
    const updater = new VulnDbUpdater({ store, logger, url, cron: "* * * * * *" });
    await updater.start();
    try {
      const deadline = Date.now() + 60_000;
      while ((await store.candidates("PyPI", ["berth-scheduled"])).length === 0) {
        assert.ok(Date.now() < deadline, "the scheduled refresh did not import the record within 60 s");
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      updater.stop();
    }
    assert.ok(downloads > before, "the record came from a download the schedule started");
  });

  it("matches packages by ecosystem and version order, reporting CVE aliases and fixed versions", async () => {
    const os = { id: "debian", versionId: "12", version: "12 (bookworm)", prettyName: "Debian 12" };
    const findings = await new VulnerabilityMatcher(store).match(
      [
        pkg({ type: "deb", name: "zlib1g", version: "1:1.2.13.dfsg-1", sourceName: "zlib", sourceVersion: "1:1.2.13.dfsg-1" }),
        pkg({ type: "npm", name: "left-pad", version: "1.1.0" }),
        pkg({ type: "pypi", name: "django", version: "4.1.7" }),
        pkg({ type: "pypi", name: "Django", version: "3.2" }),
        pkg({ type: "golang", name: "golang.org/x/net", version: "v0.17.0" }),
      ],
      os,
    );
    const byId = Object.fromEntries(findings.map((f) => [f.id, f]));
    assert.equal(byId["SYNTHETIC-DIR-1"]?.package, "zlib1g", "a binary package matched through its source package");
    assert.equal(byId["SYNTHETIC-DIR-1"]?.fix_version, "1:1.4-1");
    assert.equal(byId["CVE-2099-0001"]?.fix_version, "1.3.0", "reported under the CVE alias");
    assert.equal(byId["SYNTHETIC-ZIP-1"]?.version, "4.1.7", "PEP 503 names and PEP 440 order");
    assert.equal(findings.filter((f) => f.id === "SYNTHETIC-ZIP-1").length, 1, "Django 3.2 is before the introduced version");
    assert.equal(byId["SYNTHETIC-URL-1"], undefined, "v0.17.0 is the fixed version");
  });
});
