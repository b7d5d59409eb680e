// The portal's project pages in a real browser (Debian's chromium through playwright-core) against
// a whole stack through nginx: settings persisted through the API, a webhook delivered after a
// skopeo push and its delivery read, a retention rule dry-run with its task log, an immutability
// rule that makes a re-push fail, a label; a guest sees no edit buttons and the API refuses anyway.
// Each new page is checked with axe and photographed (e2e/test-artifacts/portal/, docs/portal.md).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { CoreApi, ROLE } from "./support/api.js";
import { launchBrowser, type TestBrowser } from "./support/browser.js";
import { eventually } from "./support/http.js";
import { ociImageLayout } from "./support/images.js";
import { assertAccessible, screenshot, signIn } from "./support/portal.js";
import { Skopeo } from "./support/skopeo.js";
import { startTestStack, type TestStack } from "./support/stack.js";

describe("the portal's project pages in chromium", { timeout: 600_000 }, () => {
  let stack: TestStack;
  let browser: TestBrowser;
  let api: CoreApi;
  let page: Page;
  let projectId = 0;
  const skopeo = new Skopeo();
  const work = mkdtempSync(join(tmpdir(), "berth-e2e-portal-project-"));
  const scriptErrors: string[] = [];
  // The webhook's receiver: what it was sent.
  const received: { type: string }[] = [];
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push(JSON.parse(body) as { type: string });
      res.end("ok");
    });
  });

  /** Pushes a fresh image (new content each time) to `shop/<repository>:<tag>` with skopeo. */
  async function push(repository: string, tag: string) {
    const layout = join(work, `${repository}-${tag}-${Date.now()}`);
    const image = ociImageLayout(layout, tag);
    const result = await skopeo.copy(`oci:${layout}:${tag}`, `docker://${stack.registry}/shop/${repository}:${tag}`, { destCreds: `admin:${stack.adminPassword}` });
    return { image, result };
  }

  before(async () => {
    [stack] = await Promise.all([startTestStack("portal-project"), new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))]);
    api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    projectId = await api.createProject("shop");
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on("pageerror", (err) => scriptErrors.push(err.message));
    await signIn(page, stack.baseUrl, "admin", stack.adminPassword);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.stop();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    skopeo.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it("settings: public, auto-scan, prevent vulnerable pulls from High, the project's own CVE allowlist, saved and read back through the API", async () => {
    await page.goto(`${stack.baseUrl}/projects/shop/settings`);
    await page.getByRole("checkbox", { name: "Public" }).check();
    await page.getByRole("checkbox", { name: /^Scan artifacts/ }).check();
    await page.getByRole("checkbox", { name: "Prevent pulls of vulnerable artifacts" }).check();
    await page.getByRole("textbox", { name: "Refuse pulls from this severity up" }).click();
    await page.getByRole("option", { name: "High" }).click();
    await page.getByRole("radio", { name: "This project's own" }).check();
    await page.getByLabel("CVE IDs").fill("cve-2024-0001\nCVE-2024-0002");
    await assertAccessible(page, "the project settings");
    await screenshot(page, "30-project-settings");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Settings saved" }).waitFor();
    const project = (await api.ok("GET", "/projects/shop")).body as { metadata: Record<string, string>; cve_allowlist: { items: { cve_id: string }[] } };
    assert.equal(project.metadata["public"], "true");
    assert.equal(project.metadata["auto_scan"], "true");
    assert.equal(project.metadata["prevent_vul"], "true");
    assert.equal(project.metadata["severity"], "high");
    assert.equal(project.metadata["reuse_sys_cve_allowlist"], "false");
    assert.deepEqual(project.cve_allowlist.items.map((i) => i.cve_id).sort(), ["CVE-2024-0001", "CVE-2024-0002"]);
    // Read back by a fresh page load: the form shows what the server holds.
    await page.reload();
    assert.equal(await page.getByRole("checkbox", { name: "Public" }).isChecked(), true);
    assert.equal(await page.getByLabel("CVE IDs").inputValue(), "CVE-2024-0001\nCVE-2024-0002");
  });

  it("quota: the sysadmin sets the limit in settings (a refused one shows the API's message); the summary shows usage against it", async () => {
    // A limit the API refuses (zero bytes): its message, in the page.
    await page.getByLabel("Limit in GiB (empty: unlimited)").fill("0");
    await page.getByRole("button", { name: "Save quota" }).click();
    await page.getByRole("alert").filter({ hasText: /must be -1 \(unlimited\) or a positive number of bytes/ }).waitFor();
    await page.getByLabel("Limit in GiB (empty: unlimited)").fill("1");
    await page.getByRole("button", { name: "Save quota" }).click();
    await page.getByTestId("quota-usage").filter({ hasText: "of 1.00 GiB" }).waitFor();
    const quota = (await api.ok("GET", `/quotas/${projectId}`)).body as { hard: { storage: number } };
    assert.equal(quota.hard.storage, 2 ** 30);
    await page.getByRole("tab", { name: "Summary" }).click();
    await page.getByTestId("summary-quota").filter({ hasText: "of 1.00 GiB" }).waitFor();
    // Nothing pushed yet: the bar is there, empty.
    assert.equal(await page.getByRole("progressbar", { name: "Storage used" }).getAttribute("aria-valuenow"), "0");
  });

  it("webhooks: a policy created with the API's event types, disabled, enabled; a push is delivered and its delivery read (status, response code, log); the policy edited", async () => {
    await page.goto(`${stack.baseUrl}/projects/shop/webhooks`);
    await page.getByText(/^No webhooks/).waitFor();
    await page.getByRole("button", { name: "New webhook" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("textbox", { name: "Name", exact: true }).fill("ci");
    await dialog.getByLabel(/^Endpoint URL/).fill(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`);
    // The event types are the API's.
    await dialog.getByRole("checkbox", { name: "PUSH_ARTIFACT" }).check();
    await assertAccessible(page, "the webhook form");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    const row = page.getByTestId("webhook-table").locator("tbody tr").filter({ hasText: "ci" });
    await row.getByText("Enabled", { exact: true }).waitFor();
    const policies = (await api.ok("GET", "/projects/shop/webhook/policies")).body as { id: number; event_types: string[]; enabled: boolean }[];
    assert.deepEqual(policies.map((p) => [p.event_types, p.enabled]), [[["PUSH_ARTIFACT"], true]]);
    // Disabled and enabled again from the list.
    await row.getByRole("button", { name: "Disable ci" }).click();
    await row.getByText("Disabled", { exact: true }).waitFor();
    assert.equal(((await api.ok("GET", `/projects/shop/webhook/policies/${policies[0]!.id}`)).body as { enabled: boolean }).enabled, false);
    await row.getByRole("button", { name: "Enable ci" }).click();
    await row.getByText("Enabled", { exact: true }).waitFor();
    const pushed = await push("web", "v1");
    assert.equal(pushed.result.code, 0, pushed.result.describe);
    await eventually(async () => (received.some((r) => r.type === "PUSH_ARTIFACT") ? true : undefined), 60_000, () => `no PUSH_ARTIFACT delivery: ${JSON.stringify(received)}`);
    await row.getByRole("button", { name: "Deliveries: ci" }).click();
    const execution = page.getByTestId("delivery-table").locator("tbody tr").first();
    await execution.getByText(/^(Success|Error)$/).waitFor({ timeout: 60_000 });
    await execution.getByRole("button", { name: /^#\d+/ }).click();
    const task = page.getByTestId("delivery-task-table").locator("tbody tr").first();
    await task.getByText("Success", { exact: true }).waitFor();
    assert.equal(await task.getByTestId("response-code").textContent(), "200");
    await task.getByRole("button", { name: "Log" }).click();
    await page.getByTestId("delivery-log").filter({ hasText: /HTTP 200/ }).waitFor();
    await assertAccessible(page, "the webhook delivery history");
    await screenshot(page, "31-webhook-deliveries");
    await page.keyboard.press("Escape");
    // Edited: one more event type, kept by the API; a second target (added through the API, the form
    // edits the first) is kept too.
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await api.ok("PUT", `/projects/shop/webhook/policies/${policies[0]!.id}`, { name: "ci", event_types: ["PUSH_ARTIFACT"], targets: [{ address: hook }, { address: `${hook}/second` }] });
    await page.reload();
    await row.getByText(`${hook}/second`).waitFor();
    await row.getByRole("button", { name: "Edit ci" }).click();
    await dialog.getByRole("checkbox", { name: "DELETE_ARTIFACT" }).check();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await row.getByText(/DELETE_ARTIFACT/).waitFor();
    const edited = (await api.ok("GET", `/projects/shop/webhook/policies/${policies[0]!.id}`)).body as { event_types: string[]; targets: { address: string }[] };
    assert.deepEqual(edited.event_types.sort(), ["DELETE_ARTIFACT", "PUSH_ARTIFACT"]);
    assert.deepEqual(edited.targets.map((t) => t.address), [hook, `${hook}/second`], "both targets kept");
  });

  let older = "";
  it("retention: a rule added (latest pushed 1, every repository and tag), a bad cron refused with the API's message, a dry run and its task log, the rule edited", async () => {
    // web:v1 is already there; v2 is newer.
    // (Read through the API: a pull would be refused now that vulnerable — here: unscanned — pulls are prevented.)
    older = ((await api.ok("GET", "/projects/shop/repositories/web/artifacts/v1")).body as { digest: string }).digest;
    assert.match(older, /^sha256:[0-9a-f]{64}$/);
    const newer = await push("web", "v2");
    assert.equal(newer.result.code, 0, newer.result.describe);
    await page.goto(`${stack.baseUrl}/projects/shop/retention`);
    await page.getByText(/^No retention rules/).waitFor();
    await page.getByRole("button", { name: "Add rule" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("textbox", { name: /^Number/ }).fill("1");
    await assertAccessible(page, "the retention rule form");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByTestId("retention-rules").getByText("retain the most recently pushed 1 artifacts").waitFor();
    const retentionId = ((await api.ok("GET", "/projects/shop")).body as { metadata: { retention_id: string } }).metadata.retention_id;
    const policy = (await api.ok("GET", `/retentions/${retentionId}`)).body as { rules: { template: string; params: Record<string, number>; tag_selectors: { pattern: string; extras: string }[] }[] };
    assert.deepEqual(policy.rules.map((r) => [r.template, r.params, r.tag_selectors[0]!.pattern, JSON.parse(r.tag_selectors[0]!.extras)]), [["latestPushedK", { latestPushedK: 1 }, "**", { untagged: true }]]);
    // A cron the API refuses: its message, in the page.
    await page.getByRole("textbox", { name: "Schedule" }).click();
    await page.getByRole("option", { name: "Custom (cron)" }).click();
    await page.getByRole("textbox", { name: "Cron (six fields)" }).fill("every tuesday");
    await page.getByRole("button", { name: "Save schedule" }).click();
    await page.getByRole("alert").filter({ hasText: /cron/i }).waitFor();
    await page.getByRole("button", { name: "Dry run" }).click();
    const run = page.getByTestId("retention-executions").locator("tbody tr").first();
    await run.getByText(/^(Success|Error|Stopped)$/).waitFor({ timeout: 120_000 });
    assert.match((await run.textContent()) ?? "", /Success.*Dry run/);
    await run.getByRole("button", { name: /^#\d+/ }).click();
    const task = page.getByTestId("retention-tasks").locator("tbody tr").first();
    await task.getByText("Success", { exact: true }).waitFor();
    assert.match((await task.textContent()) ?? "", /shop\/web/);
    await task.getByRole("button", { name: "Log: shop/web" }).click();
    await page.getByTestId("retention-log").filter({ hasText: `would delete ${older}` }).waitFor();
    assert.match((await page.getByTestId("retention-log").textContent()) ?? "", new RegExp(`retain ${newer.image.manifest.digest}`));
    await assertAccessible(page, "the retention page with a task log");
    await screenshot(page, "32-retention");
    await page.getByRole("button", { name: "Toggle light/dark theme" }).click();
    await assertAccessible(page, "the retention page, dark");
    await page.getByRole("button", { name: "Toggle light/dark theme" }).click();
    const artifacts = (await api.ok("GET", "/projects/shop/repositories/web/artifacts")).body as unknown[];
    assert.equal(artifacts.length, 2, "a dry run deletes nothing");
    // The rule edited: keep the latest 2.
    await page.getByRole("button", { name: "Edit Rule 1" }).click();
    await dialog.getByRole("textbox", { name: /^Number/ }).fill("2");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByTestId("retention-rules").getByText("retain the most recently pushed 2 artifacts").waitFor();
    const changed = (await api.ok("GET", `/retentions/${retentionId}`)).body as { rules: { params: Record<string, number> }[] };
    assert.deepEqual(changed.rules.map((r) => r.params), [{ latestPushedK: 2 }]);
  });

  it("immutability: a rule for v1 added; a re-push of v1 is refused; the rule disabled, then deleted", async () => {
    await page.goto(`${stack.baseUrl}/projects/shop/immutability`);
    await page.getByText(/^No immutability rules/).waitFor();
    await page.getByRole("button", { name: "Add rule" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("textbox", { name: "Tag pattern" }).fill("v1");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    const row = page.getByTestId("immutability-rules").locator("tbody tr").first();
    await row.getByText("matches v1").waitFor();
    await assertAccessible(page, "the immutability page");
    await screenshot(page, "33-immutability");
    const repush = await push("web", "v1");
    assert.notEqual(repush.result.code, 0, "a re-push of an immutable tag fails");
    assert.match(repush.result.stderr, /immutable/);
    assert.equal(((await api.ok("GET", "/projects/shop/repositories/web/artifacts/v1")).body as { digest: string }).digest, older, "v1 is what it was");
    await row.getByRole("button", { name: /^Disable / }).click();
    await row.getByText("Disabled", { exact: true }).waitFor();
    const rules = (await api.ok("GET", "/projects/shop/immutabletagrules")).body as { disabled: boolean }[];
    assert.deepEqual(rules.map((r) => r.disabled), [true]);
    // Deleted, after the confirmation.
    await row.getByRole("button", { name: /^Delete / }).click();
    await page.getByRole("dialog").getByText(/cannot be undone/).waitFor();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.getByText(/^No immutability rules/).waitFor();
    assert.deepEqual((await api.ok("GET", "/projects/shop/immutabletagrules")).body, []);
  });

  it("labels: created, edited, listed through the API; the artifact list filtered by one", async () => {
    await page.goto(`${stack.baseUrl}/projects/shop/labels`);
    await page.getByText(/^No labels/).waitFor();
    await page.getByRole("button", { name: "New label" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("textbox", { name: "Name", exact: true }).fill("prod");
    await dialog.getByRole("textbox", { name: "Description" }).fill("running in production");
    await assertAccessible(page, "the label form");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByTestId("label-table").getByText("running in production").waitFor();
    await page.getByRole("button", { name: "Edit prod" }).click();
    await dialog.getByRole("textbox", { name: "Description" }).fill("serving customers");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByTestId("label-table").getByText("serving customers").waitFor();
    await assertAccessible(page, "the labels page");
    await screenshot(page, "34-labels");
    const labels = (await api.ok("GET", `/labels?scope=p&project_id=${projectId}`)).body as { id: number; name: string; description: string; scope: string }[];
    assert.deepEqual(labels.map((l) => [l.name, l.description, l.scope]), [["prod", "serving customers", "p"]]);
    // The artifact list filters by it: only v2 carries it.
    await api.ok("POST", "/projects/shop/repositories/web/artifacts/v2/labels", { id: labels[0]!.id });
    await page.goto(`${stack.baseUrl}/projects/shop/repositories/web`);
    const rows = page.getByTestId("artifact-table").locator("tbody tr");
    await rows.filter({ hasText: "v1" }).waitFor();
    assert.equal(await rows.count(), 2);
    await page.getByRole("textbox", { name: "Filter by label" }).click();
    await page.getByRole("option", { name: "prod" }).click();
    await rows.filter({ hasText: "v1" }).waitFor({ state: "detached" });
    assert.deepEqual((await rows.allTextContents()).map((r) => /v2/.test(r)), [true]);
  });

  it("a project guest sees settings and labels without edit buttons, no policy tabs, and the API refuses the edits anyway", async () => {
    await api.createUser("gus", "Gus-Passw0rd-1");
    await api.addMember("shop", "gus", ROLE.guest);
    const guest = await launchBrowser();
    try {
      const gp = await guest.newPage();
      await signIn(gp, stack.baseUrl, "gus", "Gus-Passw0rd-1");
      await gp.goto(`${stack.baseUrl}/projects/shop/settings`);
      await gp.getByRole("checkbox", { name: "Public" }).waitFor();
      assert.equal(await gp.getByRole("checkbox", { name: "Public" }).isDisabled(), true);
      assert.equal(await gp.getByRole("button", { name: /^Save/ }).count(), 0);
      for (const tab of ["Webhooks", "Tag retention", "Tag immutability"]) assert.equal(await gp.getByRole("tab", { name: tab }).count(), 0, `no ${tab} tab for a guest (the API would refuse the read)`);
      await assertAccessible(gp, "the settings of a guest");
      await screenshot(gp, "35-guest-settings");
      await gp.goto(`${stack.baseUrl}/projects/shop/labels`);
      await gp.getByTestId("label-table").getByText("prod", { exact: true }).waitFor();
      assert.equal(await gp.getByRole("button", { name: /New label|^Edit|^Delete/ }).count(), 0);
      // The API decides anyway: writes from the guest's session, with its CSRF token, are 403.
      const statuses = await gp.evaluate(`(async () => {
        const token = (await fetch("/api/v2.0/users/current")).headers.get("X-Harbor-CSRF-Token");
        const send = (method, path, body) => fetch("/api/v2.0" + path, { method, headers: { "X-Harbor-CSRF-Token": token, "Content-Type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.status);
        return [
          await send("PUT", "/projects/shop", { metadata: { public: "false" } }),
          await send("POST", "/projects/shop/immutabletagrules", { tag_selectors: [{ decoration: "matches", pattern: "**" }], scope_selectors: { repository: [{ decoration: "repoMatches", pattern: "**" }] } }),
          await send("POST", "/labels", { name: "x", scope: "p", project_id: ${projectId} }),
        ];
      })()`);
      assert.deepEqual(statuses, [403, 403, 403]);
      assert.equal(((await api.ok("GET", "/projects/shop")).body as { metadata: { public: string } }).metadata.public, "true", "unchanged");
    } finally {
      await guest.close();
    }
    assert.deepEqual(scriptErrors, [], "no script errors");
  });
});
