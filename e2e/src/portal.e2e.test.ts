// The portal in a real browser (Debian's chromium through playwright-core) against a whole stack
// through nginx: the issue-15 proof flow. Each main page is checked with axe and photographed
// (e2e/test-artifacts/portal/, see docs/portal.md).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { startOidcProvider } from "@berth/test-idp";
import { CoreApi } from "./support/api.js";
import { launchBrowser, type TestBrowser } from "./support/browser.js";
import { ociImageLayout } from "./support/images.js";
import { pushIndex, repoOn } from "./support/replication-fixtures.js";
import { assertAccessible, screenshot, signIn } from "./support/portal.js";
import { Skopeo } from "./support/skopeo.js";
import { startTestStacks, type TestStack } from "./support/stack.js";

/** Polls `check` until it holds (generous: the machine is shared). */
async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Script errors and failed loads of a page, reported by the test that checks them. */
const pageErrors: string[] = [];
async function watched(p: Page): Promise<Page> {
  p.on("pageerror", (err) => pageErrors.push(`pageerror: ${err.message}`));
  p.on("console", (msg) => {
    if (msg.type() === "error") pageErrors.push(`console: ${msg.text()}`);
  });
  return p;
}

describe("the portal in chromium", { timeout: 900_000 }, () => {
  let stack: TestStack;
  let other: TestStack;
  let browser: TestBrowser;
  let api: CoreApi;
  let page: Page;
  const skopeo = new Skopeo();
  const skopeoB = new Skopeo();
  const work = mkdtempSync(join(tmpdir(), "berth-e2e-portal-"));

  before(async () => {
    // A second Berth to replicate to, started alongside.
    [stack, other] = await startTestStacks(["portal"], ["portal-b"]);
    api = new CoreApi(stack.baseUrl, "admin", stack.adminPassword);
    browser = await launchBrowser();
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.baseUrl });
    page = await watched(await browser.newPage());
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await Promise.all([stack?.stop(), other?.stop()]);
    skopeo.cleanup();
    skopeoB.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it("nginx serves the app: index.html never cached, hashed assets cached for a year, any path is the app", async () => {
    const index = await fetch(`${stack.baseUrl}/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get("cache-control"), "no-cache");
    const html = await index.text();
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, html);
    const asset = await fetch(`${stack.baseUrl}${script}`, { headers: { "accept-encoding": "gzip" } });
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.match(asset.headers.get("content-type") ?? "", /javascript/);
    const deep = await fetch(`${stack.baseUrl}/projects/library/repositories/x`);
    assert.equal(deep.status, 200);
    assert.equal(await deep.text(), html, "a deep link is the app's index.html");
    assert.equal((await fetch(`${stack.baseUrl}/assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${stack.baseUrl}/api/v2.0/nothing-here`)).status, 404, "the API keeps its own 404s");
  });

  it("signs in through the form; a wrong password shows the API's message", async () => {
    await page.goto(`${stack.baseUrl}/`);
    await page.getByRole("heading", { name: "Sign in to Berth" }).waitFor().catch(async (err: Error) => {
      throw new Error(`${err.message}\n${pageErrors.join("\n")}\n${(await page.content()).slice(0, 3000)}`);
    });
    await assertAccessible(page, "the sign-in page");
    await screenshot(page, "01-sign-in");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel(/^Password/).fill("wrong-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "Sign-in failed" }).waitFor();
    await signIn(page, stack.baseUrl, "admin", stack.adminPassword);
    const sid = (await browser.context.cookies(stack.baseUrl)).find((c) => c.name === "sid");
    assert.ok(sid?.httpOnly, "the session cookie is HttpOnly");
  });

  it("projects: create (private, with a quota), search, sort, page", async () => {
    await page.getByRole("button", { name: "New project" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill("apps");
    await dialog.getByLabel("Storage quota (GiB, empty: unlimited)").fill("2");
    await dialog.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "apps", exact: true }).waitFor();
    const project = (await api.ok("GET", "/projects/apps", undefined)).body as { metadata: { public: string }; project_id: number };
    assert.equal(project.metadata.public, "false");
    const quota = (await api.ok("GET", `/quotas/${project.project_id}`)).body as { hard: { storage: number } };
    assert.equal(quota.hard.storage, 2 * 2 ** 30);
    // A duplicate name: the API's 409 message, in the dialog — by keyboard: Enter opens the dialog
    // and keeps focus inside it, Enter submits, Escape closes and gives focus back.
    await page.goto(`${stack.baseUrl}/projects`);
    const newProject = page.getByRole("button", { name: "New project" });
    await newProject.focus();
    await page.keyboard.press("Enter");
    await page.getByRole("dialog").getByLabel("Name").waitFor();
    assert.equal(await page.evaluate(`document.querySelector("[role=dialog]").contains(document.activeElement)`), true, "focus moved into the dialog");
    await page.getByRole("dialog").getByLabel("Name").fill("apps");
    await page.keyboard.press("Enter");
    await page.getByRole("dialog").getByRole("alert").waitFor();
    assert.match((await page.getByRole("dialog").getByRole("alert").textContent()) ?? "", /CONFLICT|exists/i);
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached" });
    await waitFor(async () => (await page.evaluate(`document.activeElement?.textContent`)) === "New project", "focus back on the button that opened the dialog", 5_000);
    for (let i = 0; i < 17; i++) await api.createProject(`team-${String(i).padStart(2, "0")}`);
    await page.reload();
    await page.getByText(/Page 1 of 2 \(19 items\)/).waitFor();
    await assertAccessible(page, "the projects page");
    await screenshot(page, "02-projects");
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByText(/Page 2 of 2/).waitFor();
    await page.getByLabel("Search").fill("team-1");
    await page.getByText(/Page 1 of 1 \(7 items\)/).waitFor();
    const names = await page.locator("tbody tr td:first-child").allTextContents();
    assert.deepEqual(names, ["team-10", "team-11", "team-12", "team-13", "team-14", "team-15", "team-16"]);
    await page.getByLabel("Search").fill("");
    await page.getByRole("textbox", { name: "Sort by" }).click();
    await page.getByRole("option", { name: "Newest first" }).click();
    await page.locator("tbody tr td:first-child").first().filter({ hasText: "team-16" }).waitFor();
  });

  const GUEST = { name: "gail", password: "Gail-Passw0rd-1" };
  let webDigest = "";

  it("a pushed image: its repository, the artifact with tag, digest, size, push time; the pull command copied; an index's platforms", async () => {
    const layout = join(work, "web");
    ociImageLayout(layout, "v1");
    const push = await skopeo.copy(`oci:${layout}:v1`, `docker://${stack.registry}/apps/web:v1`, { destCreds: `admin:${stack.adminPassword}` });
    assert.equal(push.code, 0, push.describe);
    webDigest = (await skopeo.inspectRaw(`docker://${stack.registry}/apps/web:v1`, `admin:${stack.adminPassword}`)).digest ?? "";
    const multi = await pushIndex(await repoOn(stack.baseUrl, "apps/multi", api), "v2");
    await page.goto(`${stack.baseUrl}/projects/apps/repositories`);
    await page.getByRole("link", { name: "apps/web" }).click();
    await page.getByRole("heading", { name: "apps/web" }).waitFor();
    const row = page.getByTestId("artifact-table").locator("tbody tr");
    await row.filter({ hasText: "v1" }).waitFor();
    assert.equal(await row.count(), 1);
    assert.match((await row.textContent()) ?? "", new RegExp(`${webDigest.slice(0, 19)}`));
    assert.match((await row.textContent()) ?? "", /\d+(\.\d+)? (B|KiB)/, "a size");
    await assertAccessible(page, "the repository page");
    await screenshot(page, "04-repository");
    await row.getByRole("button", { name: "Copy: Pull command (v1)" }).click();
    assert.equal(await page.evaluate("navigator.clipboard.readText()"), `docker pull ${stack.registry}/apps/web:v1`);
    await row.getByRole("link", { name: webDigest.slice(0, 19) }).click();
    await page.getByTestId("artifact-digest").filter({ hasText: webDigest }).waitFor();
    assert.equal(await page.getByTestId("pull-command").textContent(), `docker pull ${stack.registry}/apps/web@${webDigest}`);
    // Before any copy button is clicked: its "Copied" tooltip fades out over the page for a while.
    await assertAccessible(page, "the artifact page");
    await screenshot(page, "05-artifact");
    await page.getByText("podman", { exact: true }).click();
    assert.equal(await page.getByTestId("pull-command").textContent(), `podman pull ${stack.registry}/apps/web@${webDigest}`);
    await page.getByRole("button", { name: "Copy: Pull command" }).click();
    assert.equal(await page.evaluate("navigator.clipboard.readText()"), `podman pull ${stack.registry}/apps/web@${webDigest}`);
    // The index: its platforms, each a link to the child.
    await page.goto(`${stack.baseUrl}/projects/apps/repositories/multi/artifacts/${multi.index.digest}`);
    for (const image of multi.images) await page.getByRole("link", { name: image.manifest.digest }).waitFor();
    assert.ok(await page.getByText("linux/arm64").isVisible());
    await screenshot(page, "06-index");
  });

  it("tags: added and removed in the artifact page; delete asks first, then deletes", async () => {
    await page.goto(`${stack.baseUrl}/projects/apps/repositories/web/artifacts/${webDigest}`);
    await page.getByLabel(/^New tag/).fill("stable");
    await page.getByRole("button", { name: "Add tag" }).click();
    await page.getByTestId("tag-list").getByText("stable").waitFor();
    const tags = async () => ((await api.ok("GET", `/projects/apps/repositories/web/artifacts/${webDigest}/tags`)).body as { name: string }[]).map((t) => t.name).sort();
    assert.deepEqual(await tags(), ["stable", "v1"]);
    await page.getByRole("button", { name: "Remove tag stable" }).click();
    await page.getByTestId("tag-list").getByText("stable").waitFor({ state: "detached" });
    assert.deepEqual(await tags(), ["v1"]);
    // A tag that exists: the API's 409 text.
    await page.getByLabel(/^New tag/).fill("v1");
    await page.getByRole("button", { name: "Add tag" }).click();
    await page.getByRole("alert").filter({ hasText: /CONFLICT/ }).waitFor();
    // Delete another artifact from the list, through the confirmation.
    await page.goto(`${stack.baseUrl}/projects/apps/repositories/multi`);
    await page.getByTestId("artifact-table").locator("tbody tr").first().waitFor();
    const before = await page.getByTestId("artifact-table").locator("tbody tr").count();
    const indexRow = page.getByTestId("artifact-table").locator("tbody tr").filter({ hasText: "v2" });
    await indexRow.getByRole("button", { name: /^Delete / }).click();
    await page.getByRole("dialog").getByText(/cannot be undone/).waitFor();
    await assertAccessible(page, "the delete confirmation");
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").waitFor({ state: "detached" });
    await page.getByTestId("artifact-table").locator("tbody tr").filter({ hasText: "v2" }).waitFor({ state: "detached" });
    assert.equal(await page.getByTestId("artifact-table").locator("tbody tr").count(), before - 1);
  });

  it("copy: an artifact copied into another project from its page; a target that does not exist shows the API's message", async () => {
    await api.createProject("archive");
    await page.goto(`${stack.baseUrl}/projects/apps/repositories/web/artifacts/${webDigest}`);
    await page.getByRole("button", { name: "Copy to" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel(/^Target repository/).fill("no-such-project/web");
    await dialog.getByRole("button", { name: "Copy to" }).click();
    await dialog.getByRole("alert").waitFor();
    await assertAccessible(page, "the copy dialog with its error");
    await dialog.getByLabel(/^Target repository/).fill("archive/web");
    await dialog.getByRole("button", { name: "Copy to" }).click();
    await dialog.waitFor({ state: "detached" });
    const copied = (await api.ok("GET", `/projects/archive/repositories/web/artifacts/${webDigest}`)).body as { digest: string };
    assert.equal(copied.digest, webDigest);
  });

  it("members: a user added as guest and a group as developer from the Members tab", async () => {
    await api.createUser(GUEST.name, GUEST.password);
    await page.goto(`${stack.baseUrl}/projects/apps/members`);
    await page.getByLabel(/^Username/).fill(GUEST.name);
    await page.getByRole("textbox", { name: "Role", exact: true }).click();
    await page.getByRole("option", { name: "Guest", exact: true }).click();
    await page.getByRole("button", { name: "Add member" }).click();
    await page.getByRole("cell", { name: GUEST.name, exact: true }).waitFor();
    const members = (await api.ok("GET", "/projects/apps/members")).body as { entity_name: string; role_id: number }[];
    assert.equal(members.find((m) => m.entity_name === GUEST.name)?.role_id, 3);
    // A group (named: an OIDC group; an LDAP group is named by its DN) as developer.
    await page.getByRole("textbox", { name: "Type", exact: true }).click();
    await page.getByRole("option", { name: "group", exact: true }).click();
    await page.getByLabel(/^Group name or LDAP DN/).fill("release-team");
    await page.getByRole("textbox", { name: "Role", exact: true }).click();
    await page.getByRole("option", { name: "Developer", exact: true }).click();
    await page.getByRole("button", { name: "Add member" }).click();
    await page.getByRole("cell", { name: "release-team", exact: true }).waitFor();
    const withGroup = (await api.ok("GET", "/projects/apps/members")).body as { entity_name: string; entity_type: string; role_id: number }[];
    assert.deepEqual(withGroup.filter((m) => m.entity_name === "release-team").map((m) => [m.entity_type, m.role_id]), [["g", 2]]);
    await assertAccessible(page, "the members tab");
    await screenshot(page, "07-members");
  });

  it("robots: created with push rights; the secret is shown once and works with skopeo", async () => {
    await page.goto(`${stack.baseUrl}/projects/apps/robots`);
    await page.getByRole("button", { name: "New robot account" }).click();
    await page.getByRole("dialog").getByLabel(/^Name/).fill("ci");
    await page.getByRole("dialog").getByRole("button", { name: "Create" }).click();
    const secret = (await page.getByTestId("robot-secret").textContent()) ?? "";
    const name = (await page.getByTestId("robot-name").textContent()) ?? "";
    assert.equal(name, "robot$apps+ci");
    assert.match(secret, /^[A-Za-z0-9]{32}$/);
    await assertAccessible(page, "the robot secret dialog");
    await screenshot(page, "08-robot-secret");
    await page.getByRole("dialog").getByRole("button", { name: "Close" }).last().click();
    await page.getByRole("cell", { name: "robot$apps+ci", exact: true }).waitFor();
    assert.equal(await page.getByText(secret).count(), 0, "the secret is gone once the dialog closes");
    await page.reload();
    await page.getByRole("cell", { name: "robot$apps+ci", exact: true }).waitFor();
    assert.ok(!(await page.content()).includes(secret), "and is not shown again");
    const pull = await skopeo.inspect(`docker://${stack.registry}/apps/web:v1`, `${name}:${secret}`);
    assert.equal(pull.code, 0, pull.describe);
  });

  it("a guest sees no delete, tag or member buttons, and the API refuses the delete anyway", async () => {
    const guest = await launchBrowser();
    try {
      const gp = await guest.newPage();
      await signIn(gp, stack.baseUrl, GUEST.name, GUEST.password);
      assert.equal(await gp.getByRole("navigation", { name: "Main" }).getByText("Administration").count(), 0, "no administration for a non-admin");
      await gp.goto(`${stack.baseUrl}/projects/apps/repositories`);
      await gp.getByRole("link", { name: "apps/web" }).waitFor();
      assert.equal(await gp.getByRole("button", { name: /^Delete/ }).count(), 0);
      await gp.goto(`${stack.baseUrl}/projects/apps/repositories/web/artifacts/${webDigest}`);
      await gp.getByTestId("artifact-digest").waitFor();
      assert.equal(await gp.getByRole("button", { name: /^Delete|Add tag|Remove tag/ }).count(), 0);
      await gp.goto(`${stack.baseUrl}/projects/apps/members`);
      await gp.getByRole("cell", { name: GUEST.name, exact: true }).waitFor();
      assert.equal(await gp.getByRole("button", { name: /Add member|^Delete/ }).count(), 0);
      await screenshot(gp, "09-guest-members");
      // The API decides anyway: a DELETE from the guest's session, with its CSRF token, is 403.
      const status = await gp.evaluate(`(async () => {
        const token = (await fetch("/api/v2.0/users/current")).headers.get("X-Harbor-CSRF-Token");
        const res = await fetch("/api/v2.0/projects/apps/repositories/web/artifacts/${webDigest}", { method: "DELETE", headers: { "X-Harbor-CSRF-Token": token } });
        return res.status;
      })()`);
      assert.equal(status, 403);
      assert.equal((await api.request("GET", `/projects/apps/repositories/web/artifacts/${webDigest}`)).status, 200, "still there");

      // The guest's own password: a wrong current one shows the API's message; the right one
      // changes it, ends the session, and only the new one signs in.
      const changed = "Gail-Passw0rd-2";
      await gp.goto(`${stack.baseUrl}/profile`);
      await gp.getByLabel(/^Current password/).fill("not-the-password");
      await gp.getByLabel(/^New password/).fill(changed);
      await gp.getByRole("button", { name: "Change password" }).click();
      await gp.getByRole("alert").waitFor();
      await gp.getByLabel(/^Current password/).fill(GUEST.password);
      await gp.getByRole("button", { name: "Change password" }).click();
      await gp.getByRole("heading", { name: "Sign in to Berth" }).waitFor();
      assert.equal((await new CoreApi(stack.baseUrl, GUEST.name, GUEST.password).request("GET", "/users/current")).status, 401, "the old password no longer works");
      await signIn(gp, stack.baseUrl, GUEST.name, changed);
      GUEST.password = changed;
    } finally {
      await guest.close();
    }
  });
  it("replication to a second Berth: endpoint tested and created, policy created and run, execution and task log read", async () => {
    const b = new CoreApi(other.baseUrl, "admin", other.adminPassword);
    await b.createProject("apps");
    await page.goto(`${stack.baseUrl}/admin/registries`);
    await page.getByText("No registry endpoints").waitFor();
    await page.getByRole("button", { name: "New endpoint" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel(/^Name/).fill("berth-b");
    await dialog.getByLabel(/^Endpoint URL/).fill(other.baseUrl);
    await dialog.getByLabel("Access ID").fill("admin");
    await dialog.getByLabel("Access secret").fill(other.adminPassword);
    await dialog.getByRole("button", { name: "Test connection" }).click();
    await dialog.getByText("Connection works").waitFor();
    await dialog.getByRole("button", { name: "Create" }).click();
    await page.getByRole("cell", { name: "berth-b", exact: true }).waitFor();
    await assertAccessible(page, "the registries page");
    await screenshot(page, "10-registries");
    await page.goto(`${stack.baseUrl}/admin/replications`);
    await page.getByRole("button", { name: "New policy" }).click();
    await dialog.getByRole("textbox", { name: "Name", exact: true }).fill("to-b");
    await dialog.getByRole("textbox", { name: "Remote registry" }).click();
    await page.getByRole("option", { name: /berth-b/ }).click();
    await dialog.getByLabel(/^Name filter/).fill("apps/web");
    await dialog.getByRole("button", { name: "Create" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Replicate" }).click();
    const execution = page.getByTestId("execution-table").locator("tbody tr").first();
    // Any final state, then Succeed with the server's view in the message (generous: a shared machine).
    await execution.getByText(/^(Succeed|Failed|Stopped)$/).waitFor({ timeout: 300_000 }).catch(async (err: Error) => {
      // What the server says, and what the page shows, for whoever reads the failure.
      const executions = (await api.ok("GET", "/replication/executions")).body as { id: number }[];
      const tasks = executions[0] ? (await api.ok("GET", `/replication/executions/${executions[0].id}/tasks`)).body : [];
      throw new Error(`${err.message}\nexecutions: ${JSON.stringify(executions)}\ntasks: ${JSON.stringify(tasks)}\npage: ${await page.locator("main").innerText().catch(() => "?")}`);
    });
    const status = (await execution.locator("td").nth(1).textContent()) ?? "";
    assert.equal(status, "Succeed", JSON.stringify((await api.ok("GET", "/replication/executions")).body));
    await execution.getByRole("button", { name: /^#\d+/ }).click();
    const task = page.getByTestId("task-table").locator("tbody tr").first();
    await task.getByText("Succeed").waitFor();
    assert.match((await task.textContent()) ?? "", /apps\/web/);
    await task.getByRole("button", { name: "Log" }).click();
    await page.getByTestId("task-log").filter({ hasText: /\S/ }).waitFor();
    await assertAccessible(page, "the replication task log");
    await screenshot(page, "11-replication");
    await page.keyboard.press("Escape");
    const onB = await skopeoB.inspectRaw(`docker://${other.registry}/apps/web:v1`, `admin:${other.adminPassword}`);
    assert.equal(onB.digest, webDigest, "the image arrived on the second Berth, byte for byte");
  });

  it("garbage collection: the schedule saved, a run started, its history and log read", async () => {
    await page.goto(`${stack.baseUrl}/admin/gc`);
    await page.getByRole("textbox", { name: "Schedule" }).click();
    await page.getByRole("option", { name: "Daily" }).click();
    await page.getByRole("button", { name: "Save" }).click();
    await waitFor(async () => ((await api.ok("GET", "/system/gc/schedule")).body as { schedule: { type: string } }).schedule.type === "Daily", "the schedule is Daily");
    await page.getByRole("button", { name: "Run GC now" }).click();
    const run = page.getByTestId("gc-history").locator("tbody tr").first();
    await run.getByText(/^Success$/).waitFor({ timeout: 120_000 });
    await run.getByRole("button", { name: "Log" }).click();
    await page.getByTestId("gc-log").filter({ hasText: /\S/ }).waitFor();
    await assertAccessible(page, "the GC page with a log");
    await screenshot(page, "12-gc");
    await page.keyboard.press("Escape");
  });

  it("audit logs (filtered), a project's logs, the queue dashboard's link, and system logs (the log-collector's query, filtered by service)", async () => {
    await page.goto(`${stack.baseUrl}/admin/audit-logs`);
    await page.getByLabel("Resource", { exact: true }).fill("apps");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.getByTestId("audit-table").getByRole("cell", { name: "project:apps", exact: true }).first().waitFor();
    const resources = await page.getByTestId("audit-table").locator("tbody tr td:nth-child(2)").allTextContents();
    assert.ok(resources.length > 0 && resources.every((r) => r.includes("apps")), resources.join(", "));
    await assertAccessible(page, "the audit log page");
    await screenshot(page, "13-audit-logs");
    // The project's own log (its Logs tab): only entries about the project.
    await page.goto(`${stack.baseUrl}/projects/apps/logs`);
    await page.getByTestId("audit-table").locator("tbody tr").first().waitFor();
    const projectResources = await page.getByTestId("audit-table").locator("tbody tr td:nth-child(2)").allTextContents();
    assert.ok(projectResources.length > 0 && projectResources.every((r) => r.includes("apps")), projectResources.join(", "));
    await assertAccessible(page, "the project logs tab");
    // The queue dashboard's link opens it with the admin's session (nginx asks core).
    assert.equal(await page.getByRole("link", { name: "Job queues" }).getAttribute("href"), "/jobs/");
    assert.equal(await page.evaluate(`fetch("/jobs/").then((r) => r.status)`), 200);
    await page.goto(`${stack.baseUrl}/admin/system-logs`);
    await page.getByTestId("system-log-table").waitFor();
    await page.getByRole("textbox", { name: "Service" }).click();
    // nginx's access log (through syslog, as "proxy"): the stacks here log warnings and up only.
    await page.getByRole("option", { name: "proxy", exact: true }).click();
    await page.getByRole("button", { name: "Apply filters" }).click();
    await waitFor(async () => {
      const services = await page.getByTestId("system-log-table").locator("tbody tr td:nth-child(2)").allTextContents();
      return services.length > 0 && services.every((s) => s === "proxy");
    }, "only nginx's entries");
    await assertAccessible(page, "the system log page");
    await screenshot(page, "14-system-logs");
  });

  it("users and authentication settings (administration)", async () => {
    await page.goto(`${stack.baseUrl}/admin/users`);
    await page.getByRole("cell", { name: GUEST.name, exact: true }).waitFor();
    await assertAccessible(page, "the users page");
    await screenshot(page, "15-users");
    await page.getByRole("button", { name: "New user" }).click();
    const form = page.getByRole("dialog");
    await form.getByLabel(/^Username/).fill("uma");
    await form.getByLabel(/^Email/).fill("uma@example.test");
    await form.getByLabel(/^Password/).fill("Uma-Passw0rd-1");
    await form.getByRole("button", { name: "Create" }).click();
    await form.waitFor({ state: "detached" });
    const row = page.getByRole("row").filter({ has: page.getByRole("cell", { name: "uma", exact: true }) });
    const userUma = async () => ((await api.ok("GET", "/users?q=username%3Duma")).body as { username: string; sysadmin_flag: boolean }[]).find((u) => u.username === "uma");
    assert.equal((await userUma())?.sysadmin_flag, false, "created through the dialog");
    await row.getByRole("button", { name: "Make administrator" }).click();
    await row.getByRole("button", { name: "Revoke administrator" }).waitFor();
    assert.equal((await userUma())?.sysadmin_flag, true);
    await row.getByRole("button", { name: "Revoke administrator" }).click();
    await row.getByRole("button", { name: "Make administrator" }).waitFor();
    assert.equal((await userUma())?.sysadmin_flag, false);
    await row.getByRole("button", { name: /^Delete / }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await row.waitFor({ state: "detached" });
    assert.equal(await userUma(), undefined, "deleted");
    await page.goto(`${stack.baseUrl}/admin/configuration`);
    await page.getByText("Authentication mode").waitFor();
    await page.getByText("LDAP", { exact: true }).click();
    await page.getByLabel("LDAP URL").waitFor();
    await assertAccessible(page, "the authentication settings");
    await screenshot(page, "16-configuration");
  });

  it("the profile, Chinese text, the dark theme, and sign-out", async () => {
    await page.goto(`${stack.baseUrl}/profile`);
    await page.getByLabel("Full name").fill("The Administrator");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Profile saved").waitFor();
    assert.equal(((await api.ok("GET", "/users/current")).body as { realname: string }).realname, "The Administrator");
    await assertAccessible(page, "the profile page");
    await screenshot(page, "17-profile");
    await page.goto(`${stack.baseUrl}/projects`);
    await page.getByText("中文").click();
    await page.getByRole("heading", { name: "项目" }).waitFor();
    assert.equal(await page.evaluate("document.documentElement.lang"), "zh-CN");
    await screenshot(page, "18-projects-zh");
    await page.reload();
    await page.getByRole("heading", { name: "项目" }).waitFor();
    await page.getByText("English").click();
    await page.getByRole("button", { name: "Toggle light/dark theme" }).click();
    assert.equal(await page.evaluate("document.documentElement.dataset.mantineColorScheme"), "dark");
    await assertAccessible(page, "the projects page, dark");
    await screenshot(page, "19-projects-dark");
    await page.getByRole("button", { name: "Toggle light/dark theme" }).click();
    await page.getByTestId("user-menu").click();
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to Berth" }).waitFor();
    // (X-Requested-With: without it, the 401's Basic challenge would open chromium's password prompt.)
    const after = await page.evaluate(`fetch("/api/v2.0/users/current", { headers: { "X-Requested-With": "XMLHttpRequest" } }).then((r) => r.status)`);
    assert.equal(after, 401, "the session ended on the server");
    // The 4xx answers the steps above provoke on purpose are logged by chromium as failed loads.
    assert.deepEqual(pageErrors.filter((e) => !e.startsWith("console: Failed to load resource")), [], "no script errors");
  });

  it("OIDC (on the second Berth): the provider's button, its login page, the onboarding page, the CLI secret in the profile", async () => {
    const provider = await startOidcProvider({
      redirectUris: [`${other.baseUrl}/c/oidc/callback`],
      users: [{ id: "u-hana", username: "hana", password: "Hana-Passw0rd", groups: ["builders"] }],
    });
    // The provider's certificate is from the test's own CA.
    const oidcBrowser = await launchBrowser({ ignoreHTTPSErrors: true });
    try {
      await new CoreApi(other.baseUrl, "admin", other.adminPassword).ok("PUT", "/configurations", {
        auth_mode: "oidc_auth",
        oidc_name: "Test IdP",
        oidc_endpoint: provider.issuer,
        oidc_client_id: provider.clientId,
        oidc_client_secret: provider.clientSecret,
        oidc_ca_cert: provider.tls.ca,
        oidc_scope: "openid,profile,email,groups,offline_access",
        oidc_groups_claim: "groups",
        oidc_user_claim: "preferred_username",
        oidc_auto_onboard: false,
      });
      const p = await watched(await oidcBrowser.newPage());
      await p.goto(`${other.baseUrl}/`);
      await p.getByRole("link", { name: "Sign in with Test IdP" }).click();
      await p.waitForURL((url) => url.origin === provider.issuer);
      await p.fill("#login", "hana");
      await p.fill("#password", "Hana-Passw0rd");
      await p.click("#submit");
      await p.getByRole("heading", { name: "Choose your Berth username" }).waitFor();
      assert.equal(await p.getByLabel(/^Username/).inputValue(), "hana", "the name the provider suggests");
      await assertAccessible(p, "the OIDC onboarding page");
      await screenshot(p, "20-oidc-onboard");
      await p.getByRole("button", { name: "Continue" }).click();
      await p.getByRole("heading", { name: "Projects" }).waitFor();
      await p.goto(`${other.baseUrl}/profile`);
      const secret = (await p.getByTestId("cli-secret").textContent()) ?? "";
      assert.match(secret, /^[A-Za-z0-9]{32}$/);
      assert.equal(await p.getByRole("button", { name: "Change password" }).count(), 0, "the provider owns the password");
      assert.equal((await new CoreApi(other.baseUrl, "hana", secret).request("GET", "/users/current")).status, 200, "the CLI secret is a password for clients");
      await assertAccessible(p, "the profile of an OIDC user");
      await screenshot(p, "21-cli-secret");
      await p.getByRole("button", { name: "Generate a new secret" }).click();
      await p.getByTestId("cli-secret").filter({ hasNotText: secret }).waitFor();
      const fresh = (await p.getByTestId("cli-secret").textContent()) ?? "";
      assert.match(fresh, /^[A-Za-z0-9]{32}$/);
      assert.equal((await new CoreApi(other.baseUrl, "hana", secret).request("GET", "/users/current")).status, 401, "the old secret stops working");
      assert.equal((await new CoreApi(other.baseUrl, "hana", fresh).request("GET", "/users/current")).status, 200);
    } finally {
      await oidcBrowser.close();
      await provider.stop();
    }
  });
});
