// Harbor's accessories view of an artifact (its OCI referrers: SBOMs, signatures, anything else
// with a `subject`) and the `sbom` addition, with content pushed through registry-store; paging,
// type filters, and the role checks of an artifact read (a private project refuses strangers).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { parseManifestReference } from "@berth/oci";
import { SBOM_ARTIFACT_TYPE } from "@berth/scanning";
import { adminAuth, basic, call, createUser, startTestCore, type TestCore } from "./test-support.js";
import { layer, pushImage, sha256 } from "./test-images.js";

let core: TestCore;
const PW = "Passw0rdPassw0rd";
const api = (method: string, path: string, headers: Record<string, string>) => call(core.base, method, `/api/v2.0${path}`, { headers });
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const EMPTY = { mediaType: "application/vnd.oci.empty.v1+json", digest: sha256(Buffer.from("{}")), size: 2 };

async function blob(repo: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(bytes);
  await core.registry.uploads.uploadMonolithic(repo, digest as never, (async function* () { yield bytes; })(), bytes.length);
  return { digest, size: bytes.length };
}

/** Pushes a referrer of `subject` with `artifactType` holding `content` (of `mediaType`); its digest. */
async function pushReferrer(repo: string, subject: { digest: string; size: number }, artifactType: string, content: Buffer, mediaType: string): Promise<string> {
  await blob(repo, Buffer.from("{}"));
  const doc = await blob(repo, content);
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType, config: EMPTY, layers: [{ mediaType, ...doc }], subject: { mediaType: OCI_MANIFEST, ...subject } }));
  const digest = sha256(body);
  await core.registry.manifests.put(repo, parseManifestReference(digest), body, OCI_MANIFEST);
  return digest;
}

before(async () => {
  core = await startTestCore({ redis: "none" });
  assert.equal((await call(core.base, "POST", "/api/v2.0/projects", { headers: adminAuth(), body: { project_name: "acc" } })).status, 201);
});
after(async () => core?.close());

test("accessories: an image's SBOM, signature and other referrers, typed, paged, filtered; a referrer's own accessories", async () => {
  const image = await pushImage(core.registry, "acc/app", "v1", [layer("a")]);
  const subject = { digest: image.digest, size: image.body.length };
  const spdx = Buffer.from(JSON.stringify({ spdxVersion: "SPDX-2.3", name: "acc/app", packages: [{ name: "openssl" }] }));
  const sbom = await pushReferrer("acc/app", subject, SBOM_ARTIFACT_TYPE, spdx, "application/spdx+json");
  const signature = await pushReferrer("acc/app", subject, "application/vnd.cncf.notary.signature", Buffer.from("jws"), "application/jose+json");
  const other = await pushReferrer("acc/app", subject, "application/vnd.example.attestation", Buffer.from("{}x"), "application/json");
  const sbomManifest = await core.registry.manifests.get("acc/app", parseManifestReference(sbom));
  const sbomSignature = await pushReferrer("acc/app", { digest: sbom, size: sbomManifest.size }, "application/vnd.cncf.notary.signature", Buffer.from("jws2"), "application/jose+json");

  const all = await api("GET", "/projects/acc/repositories/app/artifacts/v1/accessories", adminAuth());
  assert.equal(all.status, 200);
  assert.equal(all.headers.get("x-total-count"), "3");
  assert.deepEqual(
    all.data.map((a: { digest: string; type: string }) => [a.digest, a.type]),
    [
      [sbom, "harbor.sbom"],
      [signature, "signature.notation"],
      [other, "subject.accessory"],
    ],
  );
  const first = all.data[0];
  const sbomArtifact = (await api("GET", `/projects/acc/repositories/app/artifacts/${sbom}`, adminAuth())).data as { id: number; size: number };
  const imageArtifact = (await api("GET", "/projects/acc/repositories/app/artifacts/v1", adminAuth())).data as { id: number };
  assert.equal(first.artifact_id, sbomArtifact.id);
  assert.equal(first.subject_artifact_id, imageArtifact.id);
  assert.equal(first.subject_artifact_digest, image.digest);
  assert.equal(first.subject_artifact_repo, "acc/app");
  assert.equal(first.size, sbomArtifact.size);
  assert.ok(!Number.isNaN(Date.parse(first.creation_time)));

  const paged = await api("GET", "/projects/acc/repositories/app/artifacts/v1/accessories?page=2&page_size=2", adminAuth());
  assert.deepEqual(paged.data.map((a: { digest: string }) => a.digest), [other]);
  assert.match(paged.headers.get("link") ?? "", /rel="prev"/);
  const newest = await api("GET", "/projects/acc/repositories/app/artifacts/v1/accessories?sort=-creation_time&page_size=1", adminAuth());
  assert.deepEqual(newest.data.map((a: { digest: string }) => a.digest), [other]);
  const sboms = await api("GET", `/projects/acc/repositories/app/artifacts/${image.digest}/accessories?q=${encodeURIComponent("type=harbor.sbom")}`, adminAuth());
  assert.deepEqual(sboms.data.map((a: { digest: string }) => a.digest), [sbom]);
  // The tree's next level: the SBOM's own signature.
  const nested = await api("GET", `/projects/acc/repositories/app/artifacts/${sbom}/accessories`, adminAuth());
  assert.deepEqual(nested.data.map((a: { digest: string; subject_artifact_digest: string }) => [a.digest, a.subject_artifact_digest]), [[sbomSignature, sbom]]);
  // An artifact without any: an empty page.
  const none = await api("GET", `/projects/acc/repositories/app/artifacts/${other}/accessories`, adminAuth());
  assert.equal(none.status, 200);
  assert.deepEqual(none.data, []);
  assert.equal(none.headers.get("x-total-count"), "0");

  // The SBOM document: by the SBOM's digest and by the image it describes (its newest SBOM).
  for (const ref of [sbom, "v1"]) {
    const doc = await api("GET", `/projects/acc/repositories/app/artifacts/${ref}/additions/sbom`, adminAuth());
    assert.equal(doc.status, 200, ref);
    assert.match(doc.headers.get("content-type") ?? "", /^application\/spdx\+json/);
    assert.deepEqual(doc.data, JSON.parse(spdx.toString("utf8")));
  }
  const noSbom = await api("GET", `/projects/acc/repositories/app/artifacts/${other}/additions/sbom`, adminAuth());
  assert.equal(noSbom.status, 404);
  assert.match(noSbom.data.errors[0].message, /no SBOM/);
});

test("accessories: bad input is a 400, unknown artifacts a 404, and reads are role-checked like artifact reads", async () => {
  await pushImage(core.registry, "acc/private", "v1", [layer("p")]);
  const bad = await api("GET", `/projects/acc/repositories/private/artifacts/v1/accessories?q=${encodeURIComponent("type=bogus")}`, adminAuth());
  assert.equal(bad.status, 400);
  assert.match(bad.data.errors[0].message, /harbor\.sbom/);
  assert.equal((await api("GET", "/projects/acc/repositories/private/artifacts/v1/accessories?sort=size", adminAuth())).status, 400);
  assert.equal((await api("GET", "/projects/acc/repositories/private/artifacts/v9/accessories", adminAuth())).status, 404);
  assert.equal((await api("GET", "/projects/acc/repositories/private/artifacts/v9/additions/sbom", adminAuth())).status, 404);
  await createUser(core.db, "stranger", PW);
  const viewer = await createUser(core.db, "viewer", PW);
  assert.equal((await call(core.base, "POST", "/api/v2.0/projects/acc/members", { headers: adminAuth(), body: { role_id: 5, member_user: { user_id: viewer } } })).status, 201);
  for (const path of ["/projects/acc/repositories/private/artifacts/v1/accessories", "/projects/acc/repositories/private/artifacts/v1/additions/sbom"]) {
    assert.equal((await api("GET", path, {})).status, 401, `anonymous: ${path}`);
    assert.equal((await api("GET", path, basic("stranger", PW))).status, 403, `a stranger: ${path}`);
  }
  const asViewer = await api("GET", "/projects/acc/repositories/private/artifacts/v1/accessories", basic("viewer", PW));
  assert.equal(asViewer.status, 200, "a limited guest reads artifacts, so their accessories");
});
