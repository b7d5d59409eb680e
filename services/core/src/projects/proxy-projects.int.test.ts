// Proxy cache projects through core's API (real PostgreSQL and Redis): created with Harbor's
// `registry_id` by system administrators only, the endpoint checked, shown in views, fixed for
// the project's life, and holding its endpoint against deletion.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { adminAuth, basic, call, createUser, startTestCore, type TestCore } from "../test-support.js";

let core: TestCore;
const api = (method: string, path: string, options: { headers?: Record<string, string>; body?: unknown } = {}) => call(core.base, method, `/api/v2.0${path}`, options);
const admin = (method: string, path: string, body?: unknown) => api(method, path, { headers: adminAuth(), body });
const enabled = process.env["BERTH_TEST_PG_URL"] !== undefined;

before(async () => {
  if (enabled) core = await startTestCore();
});
after(async () => core?.close());

test("proxy cache projects: registry_id on create, in views, checked, fixed, holding its endpoint", { skip: !enabled && "needs BERTH_TEST_PG_URL" }, async () => {
  const created = await admin("POST", "/registries", { name: "upstream", type: "docker-hub", url: "http://127.0.0.1:9" });
  assert.equal(created.status, 201, JSON.stringify(created.data));
  const registryId = Number(created.headers.get("location")!.split("/").pop());

  let res = await admin("POST", "/projects", { project_name: "hub", registry_id: registryId, metadata: { public: "true" } });
  assert.equal(res.status, 201, JSON.stringify(res.data));
  res = await admin("GET", "/projects/hub");
  assert.equal(res.data.registry_id, registryId);
  res = await admin("GET", "/projects?name=hub");
  assert.equal(res.data[0].registry_id, registryId);
  assert.equal((await core.db.project.findUniqueOrThrow({ where: { name: "hub" } })).registryId, registryId);

  res = await admin("POST", "/projects", { project_name: "plain" });
  assert.equal(res.status, 201);
  assert.equal("registry_id" in (await admin("GET", "/projects/plain")).data, false, "an ordinary project has no registry_id");

  res = await admin("POST", "/projects", { project_name: "nowhere", registry_id: 424242 });
  assert.equal(res.status, 400);
  assert.match(JSON.stringify(res.data), /registry_id 424242: no such registry endpoint/);
  res = await admin("POST", "/projects", { project_name: "nowhere", registry_id: "1" });
  assert.equal(res.status, 400);
  const odd = await core.db.registryEndpoint.create({ data: { name: "odd", type: "ftp", url: "ftp://127.0.0.1:9" } });
  res = await admin("POST", "/projects", { project_name: "odd", registry_id: odd.id });
  assert.equal(res.status, 400);
  assert.match(JSON.stringify(res.data), /type ftp/);
  assert.equal(await core.db.project.count({ where: { name: { in: ["nowhere", "odd"] } } }), 0, "nothing was created");

  await createUser(core.db, "dev", "Passw0rdPassw0rd");
  res = await api("POST", "/projects", { headers: basic("dev", "Passw0rdPassw0rd"), body: { project_name: "devproxy", registry_id: registryId } });
  assert.equal(res.status, 403, "only system administrators create proxy cache projects");
  res = await api("POST", "/projects", { headers: basic("dev", "Passw0rdPassw0rd"), body: { project_name: "devplain", registry_id: null } });
  assert.equal(res.status, 201, "registry_id null is an ordinary project");

  res = await admin("PUT", "/projects/hub", { registry_id: null });
  assert.equal(res.status, 400, "registry_id cannot be changed");
  res = await admin("PUT", "/projects/plain", { registry_id: registryId });
  assert.equal(res.status, 400, "a project does not become a proxy later");
  res = await admin("PUT", "/projects/hub", { registry_id: registryId, metadata: { public: "false" } });
  assert.equal(res.status, 200, "the same registry_id is no change");

  res = await admin("DELETE", `/registries/${registryId}`);
  assert.equal(res.status, 412);
  assert.match(JSON.stringify(res.data), /proxy cache projects: hub/);
  assert.equal((await admin("DELETE", "/projects/hub")).status, 200);
  assert.equal((await admin("DELETE", `/registries/${registryId}`)).status, 200, "free once no project uses it");
});
