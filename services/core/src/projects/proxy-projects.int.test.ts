// Proxy cache projects through core's API (real PostgreSQL and Redis): created with Harbor's
// `registry_id` by system administrators only, the endpoint checked, shown in views, fixed for
// the project's life, and holding its endpoint against deletion; read-only through the API too
// (tags and copies refused, deletes allowed) and as a pull replication's destination.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { roleAllows, ROLES, type RoleName } from "../auth/permissions.js";
import { pushImage, layer } from "../test-images.js";
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

test("a proxy cache project is read-only through the API: tags and copies refused (even to its admins), deletes allowed", { skip: !enabled && "needs BERTH_TEST_PG_URL" }, async () => {
  const endpoint = await core.db.registryEndpoint.create({ data: { name: "upstream-ro", type: "docker-registry", url: "http://127.0.0.1:9" } });
  assert.equal((await admin("POST", "/projects", { project_name: "cache", registry_id: endpoint.id })).status, 201);
  assert.equal((await admin("POST", "/projects", { project_name: "own" })).status, 201);
  // What the proxy cached (written as the registry's proxy writes it) and an ordinary image.
  const cached = await pushImage(core.registry, "cache/library/app", "1", [layer("c")]);
  const mine = await pushImage(core.registry, "own/app", "1", [layer("o")]);
  await createUser(core.db, "keeper", "Passw0rdPassw0rd");
  assert.equal((await admin("POST", "/projects/cache/members", { role_id: 1, member_user: { username: "keeper" } })).status, 201);
  assert.equal((await admin("POST", "/projects/own/members", { role_id: 1, member_user: { username: "keeper" } })).status, 201);
  const keeper = (method: string, path: string, body?: unknown) => api(method, path, { headers: basic("keeper", "Passw0rdPassw0rd"), body });
  const refused = (res: { status: number; data: unknown }, what: RegExp) => {
    assert.equal(res.status, 403, JSON.stringify(res.data));
    const error = (res.data as { errors: { code: string; message: string }[] }).errors[0]!;
    assert.equal(error.code, "FORBIDDEN");
    assert.match(error.message, /project cache is a proxy cache \(registry_id \d+\) and read-only/);
    assert.match(error.message, what);
  };

  for (const who of [keeper, admin]) {
    refused(await who("POST", "/projects/cache/repositories/library%252Fapp/artifacts/1/tags", { name: "mine" }), /creating a tag is refused/);
    refused(await who("POST", `/projects/cache/repositories/library%252Fapp/artifacts?from=own/app@${mine.digest}`), /copying an artifact into it is refused/);
    refused(await who("POST", "/projects/cache/repositories/fresh/artifacts?from=own/app:1"), /copying an artifact into it is refused/);
  }
  const tags = await core.db.tag.findMany({ where: { repository: { name: "cache/library/app" } }, select: { name: true } });
  assert.deepEqual(tags, [{ name: "1" }], "no tag was created");
  assert.equal(await core.db.repository.count({ where: { name: { in: ["cache/app", "cache/fresh"] } } }), 0, "nothing was copied in");

  // Reading out of it is no write: a copy into an ordinary project works.
  let res = await keeper("POST", "/projects/own/repositories/copied/artifacts?from=cache/library/app:1");
  assert.equal(res.status, 201, JSON.stringify(res.data));
  // Deletes stay allowed to the project's admins (Harbor's rule).
  assert.equal((await admin("POST", "/projects/own/repositories/copied/artifacts/1/tags", { name: "2" })).status, 201, "an ordinary project takes tags");
  res = await keeper("DELETE", "/projects/cache/repositories/library%252Fapp/artifacts/1/tags/1");
  assert.equal(res.status, 200, JSON.stringify(res.data));
  res = await keeper("DELETE", `/projects/cache/repositories/library%252Fapp/artifacts/${cached.digest}`);
  assert.equal(res.status, 200, JSON.stringify(res.data));
  assert.equal(await core.db.manifest.count({ where: { digest: cached.digest, repository: { name: "cache/library/app" } } }), 0);
});

test("every role in a proxy cache project: creating tags and copying in refused to all, deleting as the role matrix allows", { skip: !enabled && "needs BERTH_TEST_PG_URL" }, async () => {
  const endpoint = await core.db.registryEndpoint.create({ data: { name: "upstream-roles", type: "docker-registry", url: "http://127.0.0.1:9" } });
  assert.equal((await admin("POST", "/projects", { project_name: "cache-roles", registry_id: endpoint.id })).status, 201);
  assert.equal((await admin("POST", "/projects", { project_name: "src-roles", metadata: { public: "true" } })).status, 201);
  const source = await pushImage(core.registry, "src-roles/app", "1", [layer("s")]);
  for (const role of Object.keys(ROLES) as RoleName[]) {
    const user = `r-${role.toLowerCase()}`;
    await createUser(core.db, user, "Passw0rdPassw0rd");
    assert.equal((await admin("POST", "/projects/cache-roles/members", { role_id: ROLES[role], member_user: { username: user } })).status, 201);
    const as = (method: string, path: string, body?: unknown) => api(method, path, { headers: basic(user, "Passw0rdPassw0rd"), body });
    const repo = `cache-roles/repositories/${role.toLowerCase()}`;
    const cached = await pushImage(core.registry, `cache-roles/${role.toLowerCase()}`, "1", [layer(role)]);
    const proxyRefusal = /is a proxy cache \(registry_id \d+\) and read-only/;

    const tag = await as("POST", `/projects/${repo}/artifacts/1/tags`, { name: "two" });
    assert.equal(tag.status, 403, `${role}: ${JSON.stringify(tag.data)}`);
    // A role that may create tags elsewhere hears why it may not here.
    if (roleAllows(role, "tag", "create")) assert.match(JSON.stringify(tag.data), proxyRefusal, role);
    const copy = await as("POST", `/projects/${repo}/artifacts?from=src-roles/app@${source.digest}`);
    assert.equal(copy.status, 403, `${role}: ${JSON.stringify(copy.data)}`);
    if (roleAllows(role, "repository", "push")) assert.match(JSON.stringify(copy.data), proxyRefusal, role);

    const untag = await as("DELETE", `/projects/${repo}/artifacts/1/tags/1`);
    assert.equal(untag.status, roleAllows(role, "tag", "delete") ? 200 : 403, `${role} deleting a tag: ${JSON.stringify(untag.data)}`);
    const del = await as("DELETE", `/projects/${repo}/artifacts/${cached.digest}`);
    assert.equal(del.status, roleAllows(role, "artifact", "delete") ? 200 : 403, `${role} deleting an artifact: ${JSON.stringify(del.data)}`);
  }
  assert.equal(await core.db.tag.count({ where: { name: "two" } }), 0, "no tag was created");
});

test("replication refuses a pull policy whose destination namespace is in a proxy cache project", { skip: !enabled && "needs BERTH_TEST_PG_URL" }, async () => {
  const source = await core.db.registryEndpoint.create({ data: { name: "pull-source", type: "docker-registry", url: "http://127.0.0.1:9" } });
  assert.equal((await admin("POST", "/projects", { project_name: "mirror", registry_id: source.id })).status, 201);
  assert.equal((await admin("POST", "/projects", { project_name: "landing" })).status, 201);
  const policy = (name: string, dest_namespace: string) => ({ name, src_registry: { id: source.id }, dest_registry: null, dest_namespace, trigger: { type: "manual" } });

  let res = await admin("POST", "/replication/policies", policy("into-mirror", "mirror/sub"));
  assert.equal(res.status, 400, JSON.stringify(res.data));
  assert.match(JSON.stringify(res.data), /dest_namespace mirror\/sub: project mirror is a proxy cache \(read-only\); replication cannot write into it/);
  assert.equal(await core.db.replicationPolicy.count({ where: { name: "into-mirror" } }), 0);

  res = await admin("POST", "/replication/policies", policy("into-landing", "landing"));
  assert.equal(res.status, 201, JSON.stringify(res.data));
  const id = Number(res.headers.get("location")!.split("/").pop());
  res = await admin("PUT", `/replication/policies/${id}`, policy("into-landing", "mirror"));
  assert.equal(res.status, 400, "an update is checked too");
  assert.match(JSON.stringify(res.data), /project mirror is a proxy cache/);
  assert.equal((await core.db.replicationPolicy.findUniqueOrThrow({ where: { id } })).destNamespace, "landing", "unchanged");
});
