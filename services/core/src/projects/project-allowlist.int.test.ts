// A project's CVE allowlist arrives in the same body as the project's other settings: a bad one
// is refused before anything is written — no project created, no setting changed.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { adminAuth, call, startTestCore, type TestCore } from "../test-support.js";

let core: TestCore;
const admin = (method: string, path: string, body?: unknown) => call(core.base, method, `/api/v2.0${path}`, { headers: adminAuth(), body });
const enabled = process.env["BERTH_TEST_PG_URL"] !== undefined;

before(async () => {
  if (enabled) core = await startTestCore();
});
after(async () => core?.close());

test("a bad cve_allowlist is refused before the project is created or changed", { skip: !enabled && "needs BERTH_TEST_PG_URL" }, async () => {
  const bad = { items: [{ cve_id: "" }] };
  let res = await admin("POST", "/projects", { project_name: "unmade", cve_allowlist: bad });
  assert.equal(res.status, 400, JSON.stringify(res.data));
  assert.equal(await core.db.project.count({ where: { name: "unmade" } }), 0, "the project was not created");

  res = await admin("POST", "/projects", { project_name: "kept", metadata: { auto_scan: "false" }, cve_allowlist: { items: [{ cve_id: "CVE-2024-0001" }] } });
  assert.equal(res.status, 201, JSON.stringify(res.data));
  res = await admin("PUT", "/projects/kept", { metadata: { auto_scan: "true", public: "true" }, cve_allowlist: { items: "CVE-2024-0002" } });
  assert.equal(res.status, 400, JSON.stringify(res.data));
  const view = (await admin("GET", "/projects/kept")).data;
  assert.equal(view.metadata.auto_scan, "false", "the settings were not changed");
  assert.equal(view.metadata.public, "false");
  assert.deepEqual(view.cve_allowlist.items.map((i: { cve_id: string }) => i.cve_id), ["CVE-2024-0001"]);

  res = await admin("PUT", "/projects/kept", { metadata: { auto_scan: "true" }, cve_allowlist: { items: [{ cve_id: "CVE-2024-0002" }] } });
  assert.equal(res.status, 200, JSON.stringify(res.data));
  const changed = (await admin("GET", "/projects/kept")).data;
  assert.equal(changed.metadata.auto_scan, "true");
  assert.deepEqual(changed.cve_allowlist.items.map((i: { cve_id: string }) => i.cve_id), ["CVE-2024-0002"]);
});
