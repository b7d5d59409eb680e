// The portal's administration pages and the artifact page's security parts in chromium, against a
// whole stack through nginx with the scanner adapter's OSV database seeded with advisories WRITTEN
// FOR THIS TEST (ids SYNTHETIC-…): an image pushed with skopeo is scanned from the page (its
// vulnerabilities, fixed versions, severity bar), its SBOM generated, viewed and downloaded, its
// referrers shown as a tree; a scanner registered, scan-all run, the system CVE allowlist edited, a
// user group and a label created, a proxy-cache project created; a non-admin sees none of it and
// the API refuses anyway. Each page is checked with axe and photographed (docs/portal.md).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { CoreApi } from "./support/api.js";
import { launchBrowser, type TestBrowser } from "./support/browser.js";
import { makeLayer, ociImageLayout, type Blob } from "./support/images.js";
import { pushReferrer, repoOn } from "./support/replication-fixtures.js";
import { adapterApiKey, CVSS_CRITICAL, CVSS_HIGH, osvRecord, type SyntheticAdvisory } from "./support/scanning.js";
import { assertAccessible, screenshot, signIn } from "./support/portal.js";
import { Skopeo } from "./support/skopeo.js";
import { startTestStack, type TestStack } from "./support/stack.js";

/** Alpine's installed-package database: busybox and musl at the versions the advisories name. */
const APK_DB = ["P:busybox", "V:1.36.1-r15", "A:x86_64", "o:busybox", "", "P:musl", "V:1.2.4_git20230717-r4", "A:x86_64", "o:musl", ""].join("\n");
const ADVISORIES: SyntheticAdvisory[] = [
  { id: "SYNTHETIC-BERTH-PORTAL-0001", ecosystem: "Alpine:v3.19", name: "busybox", fixed: "1.36.1-r16", cvss: CVSS_HIGH },
  { id: "SYNTHETIC-BERTH-PORTAL-0002", ecosystem: "Alpine:v3.19", name: "musl", cvss: CVSS_CRITICAL },
];
const USER = { name: "dora", password: "Dora-Passw0rd-1" };

describe("the portal's administration and artifact security pages in chromium", { timeout: 900_000 }, () => {
  let stack: TestStack;
  let browser: TestBrowser;
  let api: CoreApi;
  let page: Page;
  let digest = "";
  let manifest: Blob | undefined;
  const skopeo = new Skopeo();
  const work = mkdtempSync(join(tmpdir(), "berth-e2e-portal-admin-"));
  const errors: string[] = [];

  before(async () => {
    const db = join(work, "osv");
    mkdirSync(db);
    for (const a of ADVISORIES) writeFileSync(join(db, `${a.id}.json`), JSON.stringify(osvRecord(a)));
    stack = await startTestStack("portal-admin", { env: { BERTH_SCANNER_DB_DIR: db } });
    api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    await api.createProject("apps");
    await api.createUser(USER.name, USER.password);
    await api.ok("POST", "/projects/apps/members", { role_id: 1, member_user: { username: USER.name } });
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on("pageerror", (err) => errors.push(err.message));
    await signIn(page, stack.baseUrl, "admin", stack.adminPassword);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.stop();
    skopeo.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it("an image pushed with skopeo is scanned from its page: findings with fixed versions, the severity bar", async () => {
    const layout = join(work, "alpine");
    const layer = makeLayer("oci", { "etc/os-release": 'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n', "lib/apk/db/installed": APK_DB });
    ociImageLayout(layout, "v1", { layers: [layer] });
    const push = await skopeo.copy(`oci:${layout}:v1`, `docker://${stack.registry}/apps/alpine:v1`, { destCreds: `admin:${stack.adminPassword}` });
    assert.equal(push.code, 0, push.describe);
    // What the registry holds (skopeo may rewrite the manifest): the subject of the referrers below.
    const raw = await skopeo.inspectRaw(`docker://${stack.registry}/apps/alpine:v1`, `admin:${stack.adminPassword}`);
    assert.ok(raw.digest, raw.result.describe);
    digest = raw.digest;
    manifest = { mediaType: (JSON.parse(raw.raw) as { mediaType: string }).mediaType, digest, size: Buffer.byteLength(raw.raw), data: Buffer.from(raw.raw) };
    await page.goto(`${stack.baseUrl}/projects/apps/repositories/alpine/artifacts/${digest}`);
    const vulns = page.getByTestId("vulnerabilities");
    await vulns.getByText("Not scanned yet").waitFor();
    await vulns.getByRole("button", { name: "Scan", exact: true }).click();
    const table = page.getByTestId("vuln-table");
    await table.waitFor({ timeout: 180_000 }).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${(await vulns.textContent()) ?? ""}\n${stack.tail()}`);
    });
    const rows = await table.locator("tbody tr").allTextContents();
    assert.equal(rows.length, 2, rows.join("\n"));
    assert.match(rows[0]!, /SYNTHETIC-BERTH-PORTAL-0002.*Critical.*musl.*1\.2\.4_git20230717-r4.*no fix yet/, "worst first, no fix");
    assert.match(rows[1]!, /SYNTHETIC-BERTH-PORTAL-0001.*High.*busybox.*1\.36\.1-r15.*1\.36\.1-r16/, "the fixed version");
    assert.equal(await table.getByRole("link", { name: "SYNTHETIC-BERTH-PORTAL-0001 link 1" }).getAttribute("href"), "https://example.invalid/synthetic/SYNTHETIC-BERTH-PORTAL-0001");
    assert.equal(await page.getByTestId("vuln-total").textContent(), "2 vulnerabilities, 1 fixable");
    const bar = (await page.getByTestId("severity-bar").textContent()) ?? "";
    assert.match(bar, /Critical: 1/);
    assert.match(bar, /High: 1/);
    await assertAccessible(page, "the artifact page with vulnerabilities");
    await screenshot(page, "30-artifact-vulnerabilities");
    // The artifact list shows each artifact's overall severity and count.
    await page.goto(`${stack.baseUrl}/projects/apps/repositories/alpine`);
    await page.getByTestId("artifact-table").locator("tbody tr").filter({ hasText: "v1" }).getByText("Critical · 2").waitFor();
    await assertAccessible(page, "the repository page with a scanned artifact");
    await page.goto(`${stack.baseUrl}/projects/apps/repositories/alpine/artifacts/${digest}`);
    await page.getByTestId("vuln-table").waitFor();
  });

  it("the SBOM: generated, viewed and downloaded; referrers as a tree under their subject", async () => {
    await page.getByTestId("sbom").getByRole("button", { name: "Generate SBOM" }).click();
    await page.getByTestId("sbom-format").filter({ hasText: "SPDX-2.3" }).waitFor({ timeout: 180_000 });
    await page.getByRole("button", { name: "View SBOM" }).click();
    const doc = JSON.parse((await page.getByTestId("sbom-document").textContent()) ?? "") as { packages: { name: string }[] };
    assert.ok(doc.packages.some((p) => p.name === "busybox"), "the SBOM lists busybox");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download" }).click()]);
    assert.match(download.suggestedFilename(), /^alpine-[0-9a-f]{12}\.spdx\.json$/);
    // A signature of the image and a signature of that signature (the tree's second level).
    const repo = await repoOn(stack.baseUrl, "apps/alpine", api);
    const signature = await pushReferrer(repo, manifest!, "application/vnd.cncf.notary.signature", "jws-1");
    const countersigned = await pushReferrer(repo, signature, "application/vnd.cncf.notary.signature", "jws-2");
    await page.reload();
    const tree = page.getByTestId("accessory-tree");
    await tree.locator('li[data-type="signature.notation"] li[data-type="signature.notation"]').waitFor();
    assert.equal(await tree.locator('> li[data-type="harbor.sbom"]').count(), 1, "the SBOM under the image");
    // The overview now summarises the SBOM's report too: the bar still counts the vulnerabilities.
    assert.match((await page.getByTestId("severity-bar").textContent()) ?? "", /Critical: 1.*High: 1/);
    assert.equal(await tree.getByRole("link", { name: signature.digest }).count(), 1);
    assert.equal(await tree.locator('li[data-type="signature.notation"] li').getByRole("link", { name: countersigned.digest }).count(), 1, "the countersignature under the signature");
    await assertAccessible(page, "the artifact page with an SBOM and referrers");
    await screenshot(page, "31-artifact-sbom-referrers");
  });

  it("scanners: a registration tested and added, set as default; scan-all run with its counts", async () => {
    await page.goto(`${stack.baseUrl}/admin/scanners`);
    const table = page.getByTestId("scanner-table");
    await table.locator("tbody tr").first().waitFor();
    await page.getByRole("button", { name: "New scanner" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel(/^Name/).fill("second");
    await dialog.getByLabel(/^Endpoint URL/).fill(`http://127.0.0.1:${stack.running.ports["scanner-adapter"]}`);
    await dialog.getByRole("textbox", { name: "Authorization" }).click();
    await page.getByRole("option", { name: "Bearer" }).click();
    await dialog.getByLabel("Credential").fill(adapterApiKey(stack.dataDir));
    await dialog.getByRole("button", { name: "Test connection" }).click();
    await dialog.getByText("The adapter answered").waitFor();
    await dialog.getByRole("button", { name: "Create" }).click();
    await dialog.waitFor({ state: "detached" });
    const row = table.locator("tbody tr").filter({ hasText: "second" });
    await row.getByRole("button", { name: "Test connection: second" }).click();
    await row.getByRole("status").filter({ hasText: "answered" }).waitFor();
    await row.getByRole("button", { name: "Set as default: second" }).click();
    await row.getByText("Default", { exact: true }).waitFor();
    const registrations = (await api.ok("GET", "/scanners")).body as { name: string; is_default: boolean }[];
    assert.deepEqual(registrations.filter((r) => r.is_default).map((r) => r.name), ["second"]);
    await page.getByRole("button", { name: "Scan now" }).click();
    await page
      .getByTestId("scan-all-state")
      .filter({ hasText: "Finished" })
      .waitFor({ timeout: 180_000 })
      .catch(async (err: Error) => {
        throw new Error(`${err.message}\n${JSON.stringify((await api.ok("GET", "/scans/all/metrics")).body)}\n${(await page.locator("main").textContent()) ?? ""}`);
      });
    const metrics = (await api.ok("GET", "/scans/all/metrics")).body as { total: number; completed: number };
    assert.ok(metrics.total >= 1 && metrics.completed === metrics.total, JSON.stringify(metrics));
    assert.equal(await page.getByTestId("scan-all-progress").textContent(), `${metrics.completed} of ${metrics.total} finished`);
    await assertAccessible(page, "the scanners page");
    await screenshot(page, "32-scanners");
  });

  it("the system CVE allowlist: items and expiry edited", async () => {
    await page.goto(`${stack.baseUrl}/admin/cve-allowlist`);
    await page.getByLabel("CVE ids (one per line)").fill("CVE-2024-0001\nCVE-2024-0002\nCVE-2024-0001");
    await page.getByLabel("Never expires").uncheck();
    await page.getByLabel(/^Expiry date/).fill("2031-05-17");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Allowlist saved").waitFor();
    const saved = (await api.ok("GET", "/system/CVEAllowlist")).body as { items: { cve_id: string }[]; expires_at: number };
    assert.deepEqual(saved.items.map((i) => i.cve_id), ["CVE-2024-0001", "CVE-2024-0002"]);
    assert.equal(new Date(saved.expires_at * 1000).toISOString().slice(0, 10), "2031-05-17");
    await page.reload();
    assert.equal(await page.getByLabel(/^Expiry date/).inputValue(), "2031-05-17", "read back");
    await assertAccessible(page, "the CVE allowlist page");
    await screenshot(page, "33-cve-allowlist");
  });

  it("a user group and a system label created; a proxy-cache project created and badged", async () => {
    await page.goto(`${stack.baseUrl}/admin/user-groups`);
    await page.getByText("No user groups").waitFor();
    await page.getByRole("button", { name: "New group" }).click();
    await page.getByRole("dialog").getByLabel(/^Name/).fill("builders");
    await page.getByRole("dialog").getByRole("button", { name: "Create" }).click();
    await page.getByTestId("group-table").getByRole("cell", { name: "builders", exact: true }).waitFor();
    const groups = (await api.ok("GET", "/usergroups")).body as { group_name: string; group_type: number }[];
    assert.deepEqual(groups.map((g) => [g.group_name, g.group_type]), [["builders", 3]]);
    await assertAccessible(page, "the user groups page");
    await screenshot(page, "34-user-groups");

    await page.goto(`${stack.baseUrl}/admin/labels`);
    await page.getByRole("button", { name: "New label" }).click();
    await page.getByRole("dialog").getByLabel(/^Name/).fill("release");
    await page.getByRole("dialog").getByLabel("Description").fill("shipped builds");
    await page.getByRole("dialog").getByRole("button", { name: "Create" }).click();
    await page.getByTestId("label-table").getByText("release", { exact: true }).waitFor();
    const labels = (await api.ok("GET", "/labels?scope=g")).body as { name: string; description: string }[];
    assert.deepEqual(labels.map((l) => [l.name, l.description]), [["release", "shipped builds"]]);
    await assertAccessible(page, "the labels page");
    await screenshot(page, "35-labels");

    await api.ok("POST", "/registries", { name: "self", type: "berth", url: stack.baseUrl, credential: { access_key: "admin", access_secret: stack.adminPassword } });
    await page.goto(`${stack.baseUrl}/projects`);
    await page.getByRole("button", { name: "New project" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill("mirror");
    await dialog.getByLabel("Proxy cache").check();
    await dialog.getByRole("textbox", { name: "Registry endpoint" }).click();
    await page.getByRole("option", { name: /^self/ }).click();
    await assertAccessible(page, "the create-project dialog with proxy cache");
    await dialog.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "mirror", exact: true }).waitFor();
    const mirror = (await api.ok("GET", "/projects/mirror")).body as { registry_id?: number };
    assert.ok(mirror.registry_id, "a proxy-cache project");
    await page.goto(`${stack.baseUrl}/projects`);
    const mirrorRow = page.locator("tbody tr").filter({ hasText: "mirror" });
    await mirrorRow.getByText("proxy cache").waitFor();
    assert.equal(await page.locator("tbody tr").filter({ hasText: "apps" }).getByText("proxy cache").count(), 0);
    await screenshot(page, "36-projects-proxy-badge");
    assert.deepEqual(errors, [], "no script errors");
  });

  it("a non-admin (a project admin) gets no administration menu, no admin pages, and the API refuses anyway", async () => {
    const other = await launchBrowser();
    try {
      const p = await other.newPage();
      await signIn(p, stack.baseUrl, USER.name, USER.password);
      assert.equal(await p.getByRole("navigation", { name: "Main" }).getByText("Administration").count(), 0);
      assert.equal(await p.getByRole("link", { name: "Scanners" }).count(), 0);
      await p.goto(`${stack.baseUrl}/admin/scanners`);
      await p.getByRole("heading", { name: "Projects" }).waitFor();
      assert.equal(new URL(p.url()).pathname, "/projects", "an admin path leads back to the projects");
      // The project admin still sees the artifact's findings and may scan.
      await p.goto(`${stack.baseUrl}/projects/apps/repositories/alpine/artifacts/${digest}`);
      await p.getByTestId("vuln-table").waitFor();
      const statuses = (await p.evaluate(`(async () => {
        const token = (await fetch("/api/v2.0/users/current")).headers.get("X-Harbor-CSRF-Token");
        const h = { "X-Harbor-CSRF-Token": token, "Content-Type": "application/json" };
        return [
          (await fetch("/api/v2.0/scanners")).status,
          (await fetch("/api/v2.0/system/CVEAllowlist", { method: "PUT", headers: h, body: JSON.stringify({ items: [] }) })).status,
          (await fetch("/api/v2.0/system/scanAll/schedule", { method: "POST", headers: h, body: JSON.stringify({ schedule: { type: "Manual" } }) })).status,
          (await fetch("/api/v2.0/usergroups", { method: "POST", headers: h, body: JSON.stringify({ group_name: "x", group_type: 3 }) })).status,
          (await fetch("/api/v2.0/labels", { method: "POST", headers: h, body: JSON.stringify({ name: "x", scope: "g" }) })).status,
        ];
      })()`)) as number[];
      assert.deepEqual(statuses, [403, 403, 403, 403, 403]);
      assert.equal(((await api.ok("GET", "/system/CVEAllowlist")).body as { items: unknown[] }).items.length, 2, "the allowlist is unchanged");
    } finally {
      await other.close();
    }
  });
});
