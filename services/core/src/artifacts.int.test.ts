// Repositories, artifacts, tags, copies and quotas through core's API, with the registry's content
// created through registry-store directly (temporary filesystem driver) — the same code paths the
// registry service uses.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { parseManifestReference } from "@berth/oci";
import { QuotaExceededError } from "@berth/registry-store";
import { roleAllows, ROLES, type RoleName } from "./auth/permissions.js";
import { adminAuth, basic, call, createUser, startTestCore, type TestCore } from "./test-support.js";

let core: TestCore;
const PW = "Passw0rdPassw0rd";
const api = (method: string, path: string, headers: Record<string, string>, body?: unknown) => call(core.base, method, `/api/v2.0${path}`, { headers, body });
const asAdmin = (method: string, path: string, body?: unknown) => api(method, path, adminAuth(), body);
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function blob(repo: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(bytes);
  await core.registry.uploads.uploadMonolithic(repo, digest as never, (async function* () { yield bytes; })(), bytes.length);
  return { digest, size: bytes.length };
}

/** Pushes an image (config + layers) under `tag`; returns its digest and total size. */
async function pushImage(repo: string, tag: string | undefined, layers: Buffer[], arch = "amd64") {
  const config = await blob(repo, Buffer.from(JSON.stringify({ architecture: arch, os: "linux", created: "2024-01-02T03:04:05Z", rootfs: { type: "layers", diff_ids: [] } })));
  const ls = [];
  for (const l of layers) ls.push(await blob(repo, l));
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, ...config },
      layers: ls.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...l })),
    }),
  );
  const digest = sha256(body);
  await core.registry.manifests.put(repo, parseManifestReference(tag ?? digest), body, OCI_MANIFEST);
  return { digest, size: body.length + config.size + ls.reduce((s, l) => s + l.size, 0), manifestSize: body.length };
}

async function pushIndex(repo: string, tag: string, children: { digest: string; manifestSize: number; arch: string }[]) {
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: children.map((c) => ({ mediaType: OCI_MANIFEST, digest: c.digest, size: c.manifestSize, platform: { architecture: c.arch, os: "linux" } })),
    }),
  );
  await core.registry.manifests.put(repo, parseManifestReference(tag), body, OCI_INDEX);
  return sha256(body);
}

const layer = (seed: string, size = 1024) => Buffer.alloc(size, seed);

async function usage(project: string): Promise<{ stored: number; recount: number }> {
  const p = await core.db.project.findUniqueOrThrow({ where: { name: project } });
  return { stored: (await core.registry.quotas.usage([p.id])).get(p.id)!, recount: await core.registry.quotas.recount(project) };
}

before(async () => {
  core = await startTestCore({ redis: "none" });
  for (const name of ["apps", "other", "small", "walk"]) assert.equal((await asAdmin("POST", "/projects", { project_name: name })).status, 201);
});
after(async () => core?.close());

test("repositories: list with paging, q, shapes, get with %2F and %252F", async () => {
  await pushImage("apps/web", "v1", [layer("a")]);
  await pushImage("apps/team/api", "v1", [layer("b")]);
  await pushImage("apps/worker", "v1", [layer("c")]);
  const first = await asAdmin("GET", "/projects/apps/repositories?page=1&page_size=2");
  assert.equal(first.status, 200);
  assert.equal(first.headers.get("x-total-count"), "3");
  assert.match(first.headers.get("link") ?? "", /rel="next"/);
  assert.deepEqual(first.data.map((r: { name: string }) => r.name), ["apps/team/api", "apps/web"]);
  const r = first.data[1];
  const project = await core.db.project.findUniqueOrThrow({ where: { name: "apps" } });
  assert.equal(r.project_id, project.id);
  assert.equal(r.artifact_count, 1);
  assert.equal(r.pull_count, 0);
  assert.ok(r.id > 0 && r.creation_time && r.update_time);
  const fuzzy = await asAdmin("GET", `/projects/apps/repositories?q=${encodeURIComponent("name=~work")}`);
  assert.deepEqual(fuzzy.data.map((x: { name: string }) => x.name), ["apps/worker"]);
  assert.equal((await asAdmin("GET", "/projects/apps/repositories/team%2Fapi")).data.name, "apps/team/api");
  assert.equal((await asAdmin("GET", "/projects/apps/repositories/team%252Fapi")).data.name, "apps/team/api");
  assert.equal((await asAdmin("GET", "/projects/apps/repositories/nope")).status, 404);
  const project2 = await asAdmin("GET", "/projects/apps");
  assert.equal(project2.data.repo_count, 3);
});

test("artifacts: list, get by tag and digest, shapes, index references, q", async () => {
  const amd = await pushImage("apps/multi", undefined, [layer("m1"), layer("m2", 2048)], "amd64");
  const arm = await pushImage("apps/multi", undefined, [layer("m3")], "arm64");
  const index = await pushIndex("apps/multi", "latest", [
    { ...amd, arch: "amd64" },
    { ...arm, arch: "arm64" },
  ]);
  const byTag = await asAdmin("GET", "/projects/apps/repositories/multi/artifacts/latest");
  assert.equal(byTag.status, 200);
  assert.equal(byTag.data.digest, index);
  assert.equal(byTag.data.type, "IMAGE");
  assert.equal(byTag.data.manifest_media_type, OCI_INDEX);
  assert.equal(byTag.data.references.length, 2);
  assert.deepEqual(
    byTag.data.references.map((r: { child_digest: string; platform: { architecture: string } }) => [r.child_digest, r.platform.architecture]),
    [
      [amd.digest, "amd64"],
      [arm.digest, "arm64"],
    ],
  );
  assert.equal(byTag.data.references[0].parent_id, byTag.data.id);
  assert.deepEqual(byTag.data.tags.map((t: { name: string; immutable: boolean }) => [t.name, t.immutable]), [["latest", false]]);
  assert.equal(byTag.data.validation, null);
  const child = await asAdmin("GET", `/projects/apps/repositories/multi/artifacts/${amd.digest}`);
  assert.equal(child.data.size, amd.size);
  assert.equal(child.data.media_type, OCI_CONFIG);
  assert.equal(child.data.extra_attrs.architecture, "amd64");
  assert.equal(child.data.extra_attrs.os, "linux");
  assert.equal(child.data.pull_time, "0001-01-01T00:00:00.000Z");
  assert.equal(child.data.references, null);
  assert.equal(byTag.data.size, (await asAdmin("GET", `/projects/apps/repositories/multi/artifacts/${index}`)).data.size);
  const list = await asAdmin("GET", "/projects/apps/repositories/multi/artifacts?page_size=2");
  assert.equal(list.headers.get("x-total-count"), "3");
  assert.equal(list.data.length, 2);
  const tagged = await asAdmin("GET", `/projects/apps/repositories/multi/artifacts?q=${encodeURIComponent("tags=latest")}`);
  assert.deepEqual(tagged.data.map((a: { digest: string }) => a.digest), [index]);
  const untagged = await asAdmin("GET", `/projects/apps/repositories/multi/artifacts?q=${encodeURIComponent("tags=nil")}&with_tag=false`);
  assert.equal(untagged.data.length, 2);
  assert.equal(untagged.data[0].tags, null);
  const byDigest = await asAdmin("GET", `/projects/apps/repositories/multi/artifacts?q=${encodeURIComponent(`digest=${arm.digest}`)}`);
  assert.deepEqual(byDigest.data.map((a: { digest: string }) => a.digest), [arm.digest]);
  // A child of an index cannot be deleted (412); the index can, then the child.
  assert.equal((await asAdmin("DELETE", `/projects/apps/repositories/multi/artifacts/${amd.digest}`)).status, 412);
  assert.equal((await asAdmin("DELETE", "/projects/apps/repositories/multi/artifacts/latest")).status, 200);
  assert.equal((await asAdmin("GET", `/projects/apps/repositories/multi/artifacts/${index}`)).status, 404);
  assert.equal((await asAdmin("DELETE", `/projects/apps/repositories/multi/artifacts/${amd.digest}`)).status, 200);
  const events = await core.db.outboxEvent.findMany({ where: { type: { in: ["manifest.deleted", "tag.deleted"] } } });
  assert.ok(events.some((e) => e.type === "tag.deleted" && (e.payload as { tag: string }).tag === "latest"));
  assert.ok(events.some((e) => e.type === "manifest.deleted" && (e.payload as { digest: string }).digest === amd.digest));
});

test("tags: create and delete through the API, with outbox events and audit rows", async () => {
  const img = await pushImage("apps/tagged", "v1", [layer("t")]);
  assert.equal((await asAdmin("POST", "/projects/apps/repositories/tagged/artifacts/v1/tags", { name: "stable" })).status, 201);
  assert.equal((await asAdmin("POST", `/projects/apps/repositories/tagged/artifacts/${img.digest}/tags`, { name: "stable" })).status, 409);
  assert.equal((await asAdmin("POST", "/projects/apps/repositories/tagged/artifacts/v1/tags", { name: "bad tag" })).status, 400);
  const got = await asAdmin("GET", "/projects/apps/repositories/tagged/artifacts/stable");
  assert.equal(got.data.digest, img.digest);
  assert.equal((await asAdmin("DELETE", "/projects/apps/repositories/tagged/artifacts/v1/tags/stable")).status, 200);
  assert.equal((await asAdmin("GET", "/projects/apps/repositories/tagged/artifacts/stable")).status, 404);
  assert.equal((await asAdmin("DELETE", "/projects/apps/repositories/tagged/artifacts/v1/tags/stable")).status, 404);
  const created = await core.db.outboxEvent.findFirst({ where: { type: "tag.created", payload: { path: ["tag"], equals: "stable" } } });
  assert.ok(created);
  const audits = await core.db.auditLog.findMany({ where: { resourceType: "tag" }, orderBy: { id: "asc" } });
  assert.deepEqual(audits.map((a) => [a.resource, a.operation]), [
    ["apps/tagged:stable", "create"],
    ["apps/tagged:stable", "delete"],
  ]);
});

test("copy: mounts blobs, puts the manifest and its tags, charges the target project", async () => {
  const img = await pushImage("apps/src", "1.0", [layer("s1"), layer("s2")]);
  const before = await usage("other");
  const res = await asAdmin("POST", `/projects/other/repositories/dst/artifacts?from=${encodeURIComponent("apps/src:1.0")}`);
  assert.equal(res.status, 201, JSON.stringify(res.data));
  assert.match(res.headers.get("location") ?? "", new RegExp(`/projects/other/repositories/dst/artifacts/${img.digest}$`));
  const copied = await asAdmin("GET", "/projects/other/repositories/dst/artifacts/1.0");
  assert.equal(copied.data.digest, img.digest);
  const after = await usage("other");
  assert.equal(after.stored - before.stored, img.size - img.manifestSize);
  assert.equal(after.stored, after.recount);
  const byDigest = await asAdmin("POST", `/projects/other/repositories/dst2/artifacts?from=${encodeURIComponent(`apps/src@${img.digest}`)}`);
  assert.equal(byDigest.status, 201);
  assert.equal((await usage("other")).stored, after.stored, "same blobs in the same project count once");
  assert.equal((await asAdmin("POST", `/projects/other/repositories/dst/artifacts?from=${encodeURIComponent("apps/src:nope")}`)).status, 404);
});

test("quota: refused with a readable message at upload and mount; usage never drifts", async () => {
  const MiB = 1024 * 1024;
  assert.equal((await asAdmin("PUT", "/projects/small", { storage_limit: 3 * MiB })).status, 200);
  await pushImage("small/a", "v1", [layer("q1", 2 * MiB)]);
  await assert.rejects(
    () => blob("small/a", layer("q2", 2 * MiB)),
    (err: unknown) => err instanceof QuotaExceededError && /^quota exceeded: project "small" would use 4\.0 MiB of its 3\.0 MiB limit$/.test(err.message),
  );
  // The same blob in a second repository of the project does not count again.
  const u0 = await usage("small");
  await core.registry.blobs.mount("small/b", sha256(layer("q1", 2 * MiB)) as never, "small/a");
  assert.deepEqual(await usage("small"), u0);
  // The refusal is an event (webhook QUOTA_EXCEED), written after the push rolled back.
  const exceeded = await core.db.outboxEvent.findMany({ where: { type: "quota.exceeded" } });
  assert.equal(exceeded.length, 1);
  const payload = exceeded[0]!.payload as { repository: string; details: string };
  assert.equal(payload.repository, "small/a");
  assert.match(payload.details, /^quota exceeded: project "small" would use 4\.0 MiB/);
  // Copy into the project of something too big: 403 DENIED with the message.
  await pushImage("apps/big", "v1", [layer("big", 2 * MiB)]);
  const denied = await asAdmin("POST", `/projects/small/repositories/c/artifacts?from=${encodeURIComponent("apps/big:v1")}`);
  assert.equal(denied.status, 403);
  assert.equal(denied.data.errors[0].code, "DENIED");
  assert.match(denied.data.errors[0].message, /quota exceeded: project "small" would use .* of its 3\.0 MiB limit/);
  // Quotas API and summary agree with the project.
  const project = await core.db.project.findUniqueOrThrow({ where: { name: "small" } });
  const quota = await asAdmin("GET", `/quotas/${project.id}`);
  assert.equal(quota.data.hard.storage, 3 * MiB);
  assert.equal(quota.data.used.storage, u0.stored);
  assert.equal(quota.data.ref.name, "small");
  assert.equal((await asAdmin("PUT", `/quotas/${project.id}`, { hard: { storage: 10 * MiB } })).status, 200);
  assert.equal((await asAdmin("GET", "/projects/small/summary")).data.quota.hard.storage, 10 * MiB);
  const list = await asAdmin("GET", `/quotas?reference=project&reference_id=${project.id}`);
  assert.equal(list.data.length, 1);
  await createUser(core.db, "plainuser", PW);
  assert.equal((await api("GET", "/quotas", basic("plainuser", PW))).status, 403);
  assert.equal((await api("PUT", `/quotas/${project.id}`, basic("plainuser", PW), { hard: { storage: -1 } })).status, 403);
});

test("usage exactness: shared and unique layers in two repos of two projects, deletes, recount", async () => {
  const shared = layer("shared", 5000);
  for (const project of ["apps", "other"]) {
    await pushImage(`${project}/x`, "v1", [shared, layer(`${project}-x`, 3000)]);
    await pushImage(`${project}/y`, "v1", [shared, layer(`${project}-y`, 7000)]);
    await pushImage(`${project}/y`, "v2", [shared]);
  }
  for (const project of ["apps", "other"]) {
    const u = await usage(project);
    assert.equal(u.stored, u.recount, `${project} after pushes`);
  }
  const before = await usage("apps");
  // Blob DELETE of a layer still linked by another repository of the project: usage unchanged.
  await core.registry.blobs.unlink("apps/x", sha256(shared) as never);
  assert.deepEqual(await usage("apps"), before);
  // Unique layer: released.
  await core.registry.blobs.unlink("apps/x", sha256(layer("apps-x", 3000)) as never);
  assert.equal((await usage("apps")).stored, before.stored - 3000);
  // Repository delete through the API releases what only it linked, with outbox events.
  assert.equal((await asAdmin("DELETE", "/projects/apps/repositories/y")).status, 200);
  assert.equal((await asAdmin("GET", "/projects/apps/repositories/y")).status, 404);
  for (const project of ["apps", "other"]) {
    const u = await usage(project);
    assert.equal(u.stored, u.recount, `${project} after deletes`);
  }
  const otherBefore = await usage("other");
  assert.equal((await asAdmin("DELETE", "/projects/other/repositories/x")).status, 200);
  const otherAfter = await usage("other");
  assert.equal(otherAfter.stored, otherAfter.recount);
  // Only other/x's unique layer is freed: the shared layer and the config stay linked by other/y.
  assert.equal(otherBefore.stored - otherAfter.stored, 3000);
  const audit = await core.db.auditLog.findFirst({ where: { resourceType: "repository", resource: "other/x" } });
  assert.equal(audit?.operation, "delete");
});

test("project delete is refused (412) while it holds repositories", async () => {
  assert.equal((await asAdmin("POST", "/projects", { project_name: "doomed" })).status, 201);
  await pushImage("doomed/r", "v1", [layer("d")]);
  const refused = await asAdmin("DELETE", "/projects/doomed");
  assert.equal(refused.status, 412);
  assert.equal((await asAdmin("DELETE", "/projects/doomed/repositories/r")).status, 200);
  assert.equal((await asAdmin("DELETE", "/projects/doomed")).status, 200);
});

test("every role × repository/artifact/tag action is allowed or refused as the matrix says", async () => {
  for (const [role, id] of Object.entries(ROLES)) {
    const userId = await createUser(core.db, `w-${role.toLowerCase()}`, PW);
    assert.equal((await asAdmin("POST", "/projects/walk/members", { role_id: id, member_user: { user_id: userId } })).status, 201);
    assert.equal((await asAdmin("POST", "/projects/apps/members", { role_id: id, member_user: { user_id: userId } })).status, 201);
  }
  let n = 0;
  const fresh = async () => {
    const repo = `r${++n}`;
    await pushImage(`walk/${repo}`, "v1", [layer(`walk${n}`, 100)]);
    return repo;
  };
  type Op = { resource: string; action: string; run: (auth: Record<string, string>) => Promise<number> };
  const ops: Op[] = [
    { resource: "repository", action: "list", run: async (a) => (await api("GET", "/projects/walk/repositories", a)).status },
    { resource: "repository", action: "read", run: async (a) => (await api("GET", `/projects/walk/repositories/${await fresh()}`, a)).status },
    { resource: "repository", action: "delete", run: async (a) => (await api("DELETE", `/projects/walk/repositories/${await fresh()}`, a)).status },
    { resource: "artifact", action: "list", run: async (a) => (await api("GET", `/projects/walk/repositories/${await fresh()}/artifacts`, a)).status },
    { resource: "artifact", action: "read", run: async (a) => (await api("GET", `/projects/walk/repositories/${await fresh()}/artifacts/v1`, a)).status },
    { resource: "artifact", action: "delete", run: async (a) => (await api("DELETE", `/projects/walk/repositories/${await fresh()}/artifacts/v1`, a)).status },
    { resource: "repository", action: "push", run: async (a) => (await api("POST", `/projects/walk/repositories/copy${++n}/artifacts?from=apps/web:v1`, a)).status },
    { resource: "tag", action: "create", run: async (a) => (await api("POST", `/projects/walk/repositories/${await fresh()}/artifacts/v1/tags`, a, { name: "t2" })).status },
    { resource: "tag", action: "delete", run: async (a) => (await api("DELETE", `/projects/walk/repositories/${await fresh()}/artifacts/v1/tags/v1`, a)).status },
    { resource: "project", action: "read", run: async (a) => (await api("GET", "/projects/walk/summary", a)).status },
  ];
  for (const role of Object.keys(ROLES) as RoleName[]) {
    const auth = basic(`w-${role.toLowerCase()}`, PW);
    for (const op of ops) {
      const status = await op.run(auth);
      if (roleAllows(role, op.resource, op.action)) assert.ok(status >= 200 && status < 300, `${role} ${op.action} ${op.resource}: expected 2xx, got ${status}`);
      else assert.equal(status, 403, `${role} ${op.action} ${op.resource}: expected 403`);
    }
  }
  // Summary: member counts by role; a guest sees the quota too (quota read is AMDGL).
  const summary = await asAdmin("GET", "/projects/walk/summary");
  assert.equal(summary.data.project_admin_count, 2); // admin (creator) + w-projectadmin
  assert.equal(summary.data.guest_count, 1);
  assert.ok(summary.data.repo_count > 0);
  assert.ok(summary.data.quota.used.storage > 0);
  // Anonymous on a private project: 401.
  assert.equal((await api("GET", "/projects/walk/repositories", {})).status, 401);
});

test("quota: crossing 85 % of the limit records one quota.warning event", async () => {
  const MiB = 1024 * 1024;
  assert.equal((await asAdmin("POST", "/projects", { project_name: "warned", storage_limit: 1 * MiB })).status, 201);
  await blob("warned/a", layer("w1", 512 * 1024));
  assert.equal(await core.db.outboxEvent.count({ where: { type: "quota.warning" } }), 0, "50 % does not warn");
  await blob("warned/a", layer("w2", 400 * 1024));
  await blob("warned/a", layer("w3", 8 * 1024));
  const warnings = await core.db.outboxEvent.findMany({ where: { type: "quota.warning" } });
  assert.equal(warnings.length, 1, "only the charge that crosses the line warns");
  const payload = warnings[0]!.payload as { repository: string; details: string };
  assert.equal(payload.repository, "warned/a");
  assert.match(payload.details, /^project "warned" uses 0\.9 MiB of its 1\.0 MiB limit/);
});
